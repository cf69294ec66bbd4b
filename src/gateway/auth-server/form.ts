// Reading an OAuth2 request: a small application/x-www-form-urlencoded body (RFC 6749 §3.2, §2.3.1)
// and the client's credentials, from the Authorization header (client_secret_basic) or the body
// (client_secret_post), never both.
import type { IncomingMessage } from 'node:http';

/** OAuth2 requests are a few parameters; anything larger is not one. */
export const MAX_FORM_BYTES = 16 * 1024;

export class FormError extends Error {}
/** The body is over MAX_FORM_BYTES (answered 413, not as an OAuth2 error). */
export class FormTooLargeError extends FormError {}

/** Reads the request body up to the cap; rejects (FormError) when it is larger. */
export function readForm(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > MAX_FORM_BYTES) return reject(new FormTooLargeError(`an OAuth2 request body is at most ${MAX_FORM_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > MAX_FORM_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new FormTooLargeError(`an OAuth2 request body is at most ${MAX_FORM_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * The parameters of a form body. RFC 6749 §3.1: a parameter sent without a value is treated as
 * omitted, and none may be sent twice.
 */
export function parseForm(contentType: string | undefined, body: Buffer): Map<string, string> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.byteLength > 0 && type !== 'application/x-www-form-urlencoded') throw new FormError('the body must be application/x-www-form-urlencoded');
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    if (value === '') continue;
    if (params.has(name)) throw new FormError(`the parameter "${name}" is repeated`);
    params.set(name, value);
  }
  return params;
}

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly method: 'client_secret_basic' | 'client_secret_post';
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic. */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The client's credentials, undefined when none are sent; FormError when they are malformed or doubled. */
export function clientCredentials(authorization: string | undefined, params: Map<string, string>): ClientCredentials | undefined {
  const inBody = params.has('client_id') || params.has('client_secret');
  if (authorization !== undefined) {
    const [scheme, value] = authorization.trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() !== 'basic' || value === undefined) return undefined;
    if (inBody) throw new FormError('use one client authentication method, not Basic and body parameters together');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return undefined;
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (clientId === undefined || clientSecret === undefined) return undefined;
    return { clientId, clientSecret, method: 'client_secret_basic' };
  }
  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (clientId === undefined || clientSecret === undefined) return undefined;
  return { clientId, clientSecret, method: 'client_secret_post' };
}
