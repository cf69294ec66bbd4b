// Reads a fetch Response body with a size cap: refused up front when Content-Length says too much,
// and cut off mid-stream when it lies, so a hostile server never makes us buffer more than the cap.

export class BodyTooLargeError extends Error {}

export async function readCappedBody(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new BodyTooLargeError(`larger than ${maxBytes} bytes`);
  }
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(`larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
