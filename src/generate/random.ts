/**
 * Seeded randomness for the synthetic data generator.
 *
 * Everything the generator writes must be a pure function of (seed, options), so no Math.random
 * and no clock. xoshiro128** is small, fast in 32-bit JavaScript arithmetic and statistically far
 * better than the classic LCGs; streams are derived by hashing labelled parts, which lets the
 * symbol universe depend on the seed alone while the day's path depends on seed and day.
 */

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mixWord(h: number, word: number): number {
  // murmur3 body step: cheap and mixes each input word well enough for stream derivation.
  let k = Math.imul(word, 0xcc9e2d51);
  k = rotl(k, 15);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalizeHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes a list of numbers and strings to an unsigned 32-bit value. Integers beyond 32 bits
 * (seeds up to 2^53) contribute both halves, so seeds that differ only in high bits still differ.
 */
export function hashParts(parts: ReadonlyArray<number | string>): number {
  let h = 0x9747b28c;
  for (const part of parts) {
    if (typeof part === 'number' && Number.isSafeInteger(part)) {
      const lo = ((part % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
      const hi = Math.floor(part / TWO_POW_32);
      h = mixWord(h, 0x6e756d62); // type tag keeps 1 and '1' apart
      h = mixWord(h, lo | 0);
      h = mixWord(h, hi | 0);
    } else {
      const text = String(part);
      h = mixWord(h, 0x73747267);
      h = mixWord(h, text.length);
      for (let i = 0; i < text.length; i++) h = mixWord(h, text.charCodeAt(i));
    }
  }
  return finalizeHash(h);
}

/** A seeded xoshiro128** generator with the distributions the generator needs. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  private constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 | 0;
    this.s1 = s1 | 0;
    this.s2 = s2 | 0;
    this.s3 = s3 | 0;
    // The all-zero state is the one fixed point of xoshiro; splitmix output never yields it in
    // practice, but guard anyway.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * A generator whose stream is determined by the labelled parts, e.g.
   * `Rng.fromParts(seed, 'universe', symbolIndex)`. Different labels give independent streams.
   */
  static fromParts(...parts: ReadonlyArray<number | string>): Rng {
    let h = hashParts(parts);
    const words: number[] = [];
    // splitmix32 expands the 32-bit hash into the 128-bit state.
    for (let i = 0; i < 4; i++) {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      words.push(z ^ (z >>> 16));
    }
    return new Rng(words[0], words[1], words[2], words[3]);
  }

  /** The next raw output, an unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in the open interval (0, 1); never 0, so logs and powers of it stay finite. */
  next(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Log-uniform in [lo, hi): every factor of ten in the range is equally likely. */
  logUniform(lo: number, hi: number): number {
    return lo * Math.exp(Math.log(hi / lo) * this.next());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

/** A standard normal that depends only on the labelled parts (no generator state to carry). */
export function hashedNormal(...parts: ReadonlyArray<number | string>): number {
  return Rng.fromParts(...parts).normal();
}

/**
 * Walker/Vose alias table: O(1) draws from a fixed discrete distribution. Used for symbol and
 * account choice, which happen once per row and would dominate a binary search at 10M rows.
 */
export class AliasTable {
  private readonly probability: Float64Array;
  private readonly alias: Int32Array;
  readonly size: number;

  /** @param weights non-negative weights, at least one positive. */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (!(weights[i] >= 0)) throw new RangeError(`alias table weight ${i} is not a non-negative number`);
      total += weights[i];
    }
    if (n === 0 || total <= 0) throw new RangeError('alias table needs at least one positive weight');
    this.size = n;
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.probability[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    // Leftovers are 1 up to rounding error.
    for (const i of large) this.probability[i] = 1;
    for (const i of small) this.probability[i] = 1;
  }

  /** An index drawn with probability proportional to its weight. */
  sample(rng: Rng): number {
    const i = rng.int(this.size);
    return rng.next() < this.probability[i] ? i : this.alias[i];
  }
}

/** Zipf-like weights 1/(rank+1)^exponent for ranks 0..count-1 (rank 0 the heaviest). */
export function zipfWeights(count: number, exponent: number): Float64Array {
  const weights = new Float64Array(count);
  for (let i = 0; i < count; i++) weights[i] = 1 / Math.pow(i + 1, exponent);
  return weights;
}
