import { median, Reservoir } from '../features/robust-stats.js';
import type { SeededRandom } from '../model/random.js';

/**
 * Per-symbol trading statistics: counts, VWAP, price range, a spread proxy, and the buy/sell split.
 * Bounded: at most `maxSymbols` symbols are tracked (a file whose symbol column is garbage could
 * hold millions), and each symbol keeps at most `movesKept` price moves for its median.
 */

export interface SymbolSummary {
  symbol: string;
  /** Rows naming the symbol, whatever else is wrong with them. */
  trades: number;
  /** Rows without any data-quality finding: the ones the prices below are computed from. */
  validTrades: number;
  /** Volume-weighted average price: sum(price*quantity) / sum(quantity) over valid rows. */
  vwap: number | null;
  minPrice: number | null;
  maxPrice: number | null;
  /** (max - min) / VWAP, in percent. */
  rangePct: number | null;
  /**
   * Spread proxy: the median of |price_t - price_t-1| / price_t-1 between consecutive valid trades
   * of the symbol in file order, in percent. Not a quoted bid-ask spread (the file has no quotes),
   * but it moves with it: a liquid symbol's trades alternate between bid and ask a tick apart.
   */
  spreadPct: number | null;
  /** Consecutive-trade moves the spread is the median of (a sample when there were more). */
  moves: number;
  quantity: number;
  notional: number;
  buys: number;
  sells: number;
  buyNotional: number;
  sellNotional: number;
}

/** One symbol's running statistics. */
export class SymbolProfile {
  trades = 0;
  validTrades = 0;
  private sumPq = 0;
  private sumQ = 0;
  private minPrice = Infinity;
  private maxPrice = -Infinity;
  private lastPrice = Number.NaN;
  private readonly moves: Reservoir;
  private buys = 0;
  private sells = 0;
  private buyNotional = 0;
  private sellNotional = 0;

  constructor(
    readonly symbol: string,
    movesKept: number,
    random: SeededRandom,
  ) {
    this.moves = new Reservoir(movesKept, random);
  }

  /** Counts a row that names the symbol but is not valid (its values are not trusted). */
  countInvalid(): void {
    this.trades++;
  }

  /** Adds a valid trade (positive price and quantity). */
  addValid(price: number, quantity: number, side: 'BUY' | 'SELL' | null): void {
    this.trades++;
    this.validTrades++;
    const notional = price * quantity;
    this.sumPq += notional;
    this.sumQ += quantity;
    if (price < this.minPrice) this.minPrice = price;
    if (price > this.maxPrice) this.maxPrice = price;
    if (!Number.isNaN(this.lastPrice)) this.moves.add(Math.abs(price - this.lastPrice) / this.lastPrice);
    this.lastPrice = price;
    if (side === 'BUY') {
      this.buys++;
      this.buyNotional += notional;
    } else if (side === 'SELL') {
      this.sells++;
      this.sellNotional += notional;
    }
  }

  /** VWAP of the valid trades so far; NaN when there are none. */
  get vwap(): number {
    return this.sumQ > 0 ? this.sumPq / this.sumQ : Number.NaN;
  }

  finish(): SymbolSummary {
    const vwap = this.vwap;
    const has = this.validTrades > 0;
    const moves = this.moves.sample();
    return {
      symbol: this.symbol,
      trades: this.trades,
      validTrades: this.validTrades,
      vwap: has ? vwap : null,
      minPrice: has ? this.minPrice : null,
      maxPrice: has ? this.maxPrice : null,
      rangePct: has ? ((this.maxPrice - this.minPrice) / vwap) * 100 : null,
      spreadPct: moves.length > 0 ? median(moves) * 100 : null,
      moves: this.moves.count,
      quantity: this.sumQ,
      notional: this.sumPq,
      buys: this.buys,
      sells: this.sells,
      buyNotional: this.buyNotional,
      sellNotional: this.sellNotional,
    };
  }
}

/** Symbols by name, up to a cap; rows of symbols beyond the cap are only counted. */
export class SymbolTable {
  private readonly bySymbol = new Map<string, SymbolProfile>();
  /** Rows of symbols first seen after the table was full. */
  untrackedTrades = 0;

  constructor(
    private readonly maxSymbols: number,
    private readonly movesKept: number,
    private readonly random: SeededRandom,
  ) {}

  /** The symbol's profile, created on first sight; undefined when the table is full and the symbol new. */
  get(symbol: string): SymbolProfile | undefined {
    let p = this.bySymbol.get(symbol);
    if (p === undefined) {
      if (this.bySymbol.size >= this.maxSymbols) {
        this.untrackedTrades++;
        return undefined;
      }
      p = new SymbolProfile(symbol, this.movesKept, this.random);
      this.bySymbol.set(symbol, p);
    }
    return p;
  }

  get size(): number {
    return this.bySymbol.size;
  }

  get full(): boolean {
    return this.untrackedTrades > 0;
  }

  profiles(): IterableIterator<SymbolProfile> {
    return this.bySymbol.values();
  }

  /** Every tracked symbol, busiest first (ties by name, so the order is stable). */
  finish(): SymbolSummary[] {
    return [...this.bySymbol.values()]
      .map((p) => p.finish())
      .sort((a, b) => b.trades - a.trades || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }
}
