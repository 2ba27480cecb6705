import { assembleModel, forestParamsOf, prepareTraining, trainAnomalyModel, type AnomalyModel, type TrainOptions } from './anomaly-model.js';
import { DEFAULT_AUTOENCODER_PARAMS, type AutoencoderParams } from './autoencoder.js';
import type { CandidateModel } from './candidate-models.js';
import { fitIsolationForest, type FeatureMatrix } from './isolation-forest.js';
import { DEFAULT_MODEL_KIND, ENSEMBLE_CANDIDATES, type CandidateKind, type ModelKind } from './model-kind.js';
import { DEFAULT_OCSVM_PARAMS, type OneClassSvmParams } from './one-class-svm.js';
import { DEFAULT_PCA_PARAMS, fitPca, type PcaParams } from './pca-detector.js';
import { definedOnly } from '../defined-only.js';

/** Which kind to train, and each candidate's settings (defaults: the DEFAULT_*_PARAMS of its module). */
export interface KindTrainOptions {
  algorithm?: ModelKind;
  ocsvm?: Partial<OneClassSvmParams>;
  autoencoder?: Partial<AutoencoderParams>;
  pca?: Partial<PcaParams>;
}

/**
 * Fits one candidate on normalised rows. The libraries (libsvm-js, TensorFlow.js) are imported here,
 * on demand, so a process that only scores never loads them, and a forest's training never does.
 */
async function fitCandidate(kind: CandidateKind, data: FeatureMatrix, options: KindTrainOptions, seed: number): Promise<CandidateModel> {
  switch (kind) {
    case 'ocsvm': {
      const { fitOneClassSvm } = await import('./one-class-svm-training.js');
      return (await fitOneClassSvm(data, { ...DEFAULT_OCSVM_PARAMS, ...definedOnly(options.ocsvm) }, seed)).model;
    }
    case 'autoencoder': {
      const { fitAutoencoder } = await import('./autoencoder-training.js');
      return fitAutoencoder(data, { ...DEFAULT_AUTOENCODER_PARAMS, ...definedOnly(options.autoencoder) }, seed);
    }
    case 'pca':
      return fitPca(data, { ...DEFAULT_PCA_PARAMS, ...definedOnly(options.pca) }, seed);
  }
}

/**
 * Trains a model of the chosen kind on a matrix of raw features (consumed). Every kind gets the same
 * normalisation, extremeness part, threshold rule and drift baseline (anomaly-model.ts); only the
 * learned part differs. The forest's seed (`forest.seed`) seeds the candidates too, so the same data,
 * options and seed give the same model.
 */
export async function trainModelOfKind(data: FeatureMatrix, options: TrainOptions & KindTrainOptions = {}): Promise<AnomalyModel> {
  const kind = options.algorithm ?? DEFAULT_MODEL_KIND;
  if (kind === 'isolation-forest') return trainAnomalyModel(data, options);
  const prep = prepareTraining(data, options);
  const params = forestParamsOf(options);
  if (kind === 'ensemble') {
    const forest = fitIsolationForest(prep.normalised, params);
    const candidates: CandidateModel[] = [];
    for (const k of ENSEMBLE_CANDIDATES) candidates.push(await fitCandidate(k, prep.normalised, options, params.seed));
    return assembleModel(prep, { kind, forest, candidates }, options);
  }
  const candidate = await fitCandidate(kind, prep.normalised, options, params.seed);
  return assembleModel(prep, { kind, candidates: [candidate] }, options);
}
