import { ObjectNotFoundError, type ObjectStore } from '../ports/object-store.js';
import { FeedbackFileError, FeedbackIndex, mergeFeedback, parseFeedback, type FeedbackEntry } from './feedback-file.js';

/**
 * The analysts' feedback files in the bucket: every `.csv` under feedback/, read in key order, so a
 * later file (name them by date) overrides an earlier one on the same trade.
 */
export const FEEDBACK_PREFIX = 'feedback/';

/** A feedback file that could not be used, and why (its verdicts are not applied). */
export interface FeedbackLoadError {
  /** The file's key, e.g. feedback/2026-11-18.csv. */
  file: string;
  /** The parser's message: the line, the field and the value. */
  message: string;
}

export interface StoredFeedback {
  index: FeedbackIndex;
  /** Keys of the files read, in the order applied. */
  files: string[];
  /** One per file that could not be read (bad CSV, a bad line, gone between list and read). */
  errors: FeedbackLoadError[];
}

function isFeedbackFile(key: string): boolean {
  return key.toLowerCase().endsWith('.csv') && !key.endsWith('/');
}

/**
 * Reads and merges every feedback file under feedback/. A bad file does not stop the others: it is
 * left out whole (a file is one analyst's batch of decisions; half of it applied would be worse than
 * none) and reported in `errors`. Anything else (S3 refusing or failing) is thrown: the caller's run
 * fails and is retried or redriven, rather than silently alerting without the analysts' verdicts.
 */
export async function loadFeedbackFromStore(store: ObjectStore): Promise<StoredFeedback> {
  const keys = (await store.list(FEEDBACK_PREFIX)).filter(isFeedbackFile);
  const lists: FeedbackEntry[][] = [];
  const files: string[] = [];
  const errors: FeedbackLoadError[] = [];
  for (const key of keys) {
    try {
      lists.push(await parseFeedback(await store.get(key), key));
      files.push(key);
    } catch (e: unknown) {
      if (e instanceof FeedbackFileError) errors.push({ file: key, message: e.message });
      else if (e instanceof ObjectNotFoundError) errors.push({ file: key, message: `${key} was deleted while it was being read` });
      else throw e;
    }
  }
  return { index: new FeedbackIndex(mergeFeedback(lists)), files, errors };
}
