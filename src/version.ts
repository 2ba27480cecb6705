/**
 * The code's version, recorded in every model a run trains (a model names the code that made it).
 * Kept equal to package.json's version by a test; a constant, so Lambda bundles need no file read.
 */
export const CODE_VERSION = '0.2.0';
