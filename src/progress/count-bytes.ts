/**
 * Passes a byte stream through unchanged, reporting the bytes passed so far after each chunk: how
 * far a reader has got in a file whose size is known, without the reader knowing it is watched.
 */
export async function* countBytes(source: AsyncIterable<Uint8Array>, onBytes: (bytesSoFar: number) => void): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.byteLength;
    onBytes(bytes);
    yield chunk;
  }
}
