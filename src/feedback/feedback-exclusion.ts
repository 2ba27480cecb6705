import type { TrainingExclusion } from '../model/train-model.js';
import type { FeedbackIndex } from './feedback-file.js';

/**
 * What training leaves out because of the analysts' feedback: the trades they confirmed as anomalies,
 * so the model does not learn them as normal. Trades they marked as false positives stay in: they
 * are ordinary trades, and learning them is what stops them being flagged again.
 */
export function feedbackExclusion(index: FeedbackIndex): TrainingExclusion {
  return (file, tradeId, sourceRow) => index.verdictFor(file, tradeId, sourceRow)?.verdict === 'confirmed';
}
