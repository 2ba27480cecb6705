/**
 * Types for the npm package libsvm-js 0.2.1 (an emscripten build of libsvm), which ships none: the
 * part of its API that src/model/one-class-svm-training.ts uses. `libsvm-js/asm.js` is the asm.js build (named with its extension: the package has no exports map, so Node's own resolver needs the file name),
 * loaded synchronously with no .wasm file beside it (nothing to copy when the train function is bundled).
 */
declare module 'libsvm-js/asm.js' {
  interface SvmOptions {
    /** One of SVM_TYPES (libsvm's -s). */
    type?: string;
    /** One of KERNEL_TYPES (libsvm's -t). */
    kernel?: string;
    gamma?: number;
    nu?: number;
    tolerance?: number;
    cacheSize?: number;
    shrinking?: boolean;
    quiet?: boolean;
  }
  class SVM {
    constructor(options: SvmOptions);
    train(samples: number[][], labels: number[]): void;
    /** For a one-class SVM: +1 inside the learned support, -1 outside. */
    predictOne(sample: number[]): number;
    /** 0-based indices of the support vectors in the training samples. */
    getSVIndices(): number[];
    /** libsvm's model file text (sv_coef at full precision, rho at 6 digits). */
    serializeModel(): string;
    /** Frees the model's memory in the emscripten heap (not garbage-collected). */
    free(): void;
    static SVM_TYPES: { ONE_CLASS: string };
    static KERNEL_TYPES: { RBF: string };
  }
  export = SVM;
}
