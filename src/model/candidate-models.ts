import { autoencoderNovelty, parseAutoencoder, serialiseAutoencoder, type AutoencoderModel } from './autoencoder.js';
import type { FeatureMatrix } from './isolation-forest.js';
import { calibrateInPlace, ModelFormatError } from './model-kind.js';
import { oneClassSvmNovelty, parseOneClassSvm, serialiseOneClassSvm, type OneClassSvmModel } from './one-class-svm.js';
import { parsePca, pcaNovelty, serialisePca, type PcaModel } from './pca-detector.js';

/**
 * The candidate detectors a model can hold besides (or instead of) the forest, as stored numbers, and
 * the one place that dispatches on their kind. Nothing here loads a training library.
 */
export type CandidateModel = OneClassSvmModel | AutoencoderModel | PcaModel;

/** Raw novelty of normalised rows (higher = more unusual). */
export function candidateNovelty(candidate: CandidateModel, data: FeatureMatrix): Float64Array {
  switch (candidate.kind) {
    case 'ocsvm':
      return oneClassSvmNovelty(candidate, data);
    case 'autoencoder':
      return autoencoderNovelty(candidate, data);
    case 'pca':
      return pcaNovelty(candidate, data);
  }
}

/** Calibrated scores in [0, 1] of normalised rows. */
export function candidateScores(candidate: CandidateModel, data: FeatureMatrix): Float64Array {
  return calibrateInPlace(candidateNovelty(candidate, data), candidate.calibration);
}

export function serialiseCandidate(candidate: CandidateModel): Record<string, unknown> {
  switch (candidate.kind) {
    case 'ocsvm':
      return serialiseOneClassSvm(candidate);
    case 'autoencoder':
      return serialiseAutoencoder(candidate);
    case 'pca':
      return serialisePca(candidate);
  }
}

export function parseCandidate(doc: unknown, cols: number, where: string): CandidateModel {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ModelFormatError(`${where}: a candidate detector is not an object`);
  const d = doc as Record<string, unknown>;
  switch (d.kind) {
    case 'ocsvm':
      return parseOneClassSvm(d, cols, where);
    case 'autoencoder':
      return parseAutoencoder(d, cols, where);
    case 'pca':
      return parsePca(d, cols, where);
    default:
      throw new ModelFormatError(`${where}: unknown candidate detector kind ${String(d.kind)} (ocsvm, autoencoder or pca)`);
  }
}

/** How big a candidate is, for reports: its stored numbers. */
export function candidateSize(candidate: CandidateModel): number {
  switch (candidate.kind) {
    case 'ocsvm':
      return candidate.supportVectors.length + candidate.coefficients.length;
    case 'autoencoder':
      return candidate.layers.reduce((s, l) => s + l.kernel.length + l.bias.length, 0);
    case 'pca':
      return candidate.mean.length + candidate.components.length;
  }
}
