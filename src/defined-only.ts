/**
 * The properties of `o` that are set: options objects spread over defaults (`{ ...DEFAULTS,
 * ...definedOnly(options) }`) keep a default wherever the caller passed undefined.
 */
export function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
