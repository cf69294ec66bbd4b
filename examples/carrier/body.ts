// Reads and parses a JSON request body with a hard size cap, turning every failure into a
// CarrierProblem (413 or 400) instead of an exception the server would have to guess about.
import type { IncomingMessage } from 'node:http';
import { CarrierProblem } from './problem.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(): CarrierProblem {
  return new CarrierProblem('payload-too-large', { headers: { connection: 'close' } });
}

/** Resolves with the raw bytes, or rejects with 413 as soon as the cap is passed. */
function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  // A declared length over the cap is refused before a single byte is read.
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but do not destroy the request: that would kill the socket before the
        // 413 goes out. The response carries `Connection: close`, which ends the exchange.
        cleanup();
        chunks.length = 0;
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

// fatal: true so invalid UTF-8 is a 400, not silently replaced with U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The parsed JSON value (any JSON type: the validators decide what shape is acceptable). */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const bytes = await readBytes(req, limit);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new CarrierProblem('malformed-json', { detail: 'The request body is not valid UTF-8.' });
  }
  if (text.trim() === '') throw new CarrierProblem('malformed-json', { detail: 'The request body is empty; send a JSON object.' });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8's message says where parsing stopped, which is the useful part for the client.
    const reason = err instanceof SyntaxError ? ` ${err.message}` : '';
    throw new CarrierProblem('malformed-json', { detail: `The request body is not valid JSON.${reason}` });
  }
}
