// Reads a whole request body into memory, for a plugin that asked for it (requestBodyLimit): at
// most `limit` bytes (more is 413, whether declared or streamed), and never idle longer than
// `idleMs` between chunks (408).
import type { IncomingMessage } from 'node:http';

export type BodyReadFailure = 'payload-too-large' | 'request-timeout' | 'client-gone';

export function readWholeBody(req: IncomingMessage, limit: number, idleMs: number, done: (body: Buffer | BodyReadFailure) => void): void {
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > limit) return done('payload-too-large');
  const chunks: Buffer[] = [];
  let received = 0;
  const timer = idleMs > 0 ? setTimeout(() => finish('request-timeout'), idleMs) : undefined;
  timer?.unref();
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    timer?.refresh();
    if (received > limit) finish('payload-too-large');
    else chunks.push(chunk);
  };
  const onEnd = () => finish(undefined);
  const onAbort = () => finish('client-gone');
  const finish = (failure: BodyReadFailure | undefined) => {
    if (timer !== undefined) clearTimeout(timer);
    req.off('data', onData).off('end', onEnd).off('error', onAbort).off('aborted', onAbort);
    done(failure ?? Buffer.concat(chunks, received));
  };
  req.on('data', onData).on('end', onEnd).on('error', onAbort).on('aborted', onAbort);
}
