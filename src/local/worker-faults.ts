/** The injected fault that ends a score worker thread itself, as an out-of-memory or a native crash would. */
export const CRASH_WORKER = 'CRASH_WORKER';
