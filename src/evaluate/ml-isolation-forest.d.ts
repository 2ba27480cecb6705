/**
 * Types for the npm package ml-isolation-forest 0.1.0, which ships none: the part of its API that
 * src/evaluate/detectors.ts uses.
 */
declare module 'ml-isolation-forest' {
  export class IsolationForest {
    /** nEstimators: the number of trees (default 100). */
    constructor(options?: { nEstimators?: number });
    /** Grows every tree on all of `rows` (no subsampling), with Math.random. */
    train(rows: number[][]): void;
    /** Scores in (0, 1], higher = more anomalous. */
    predict(rows: number[][]): number[];
  }
}
