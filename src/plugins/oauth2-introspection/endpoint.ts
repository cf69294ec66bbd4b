// One call to an RFC 7662 introspection endpoint. Everything that can go wrong (unreachable, slow,
// a redirect, an error status, an oversized or malformed body) becomes a failure the caller turns
// into 401: the gateway fails closed. Failure reasons never contain the token or the secret.
import { Agent, request, type Dispatcher } from 'undici';
import { parseIntrospection, type IntrospectionAnswer } from './claims.ts';

/** Largest response body read; RFC 7662 answers are a few hundred bytes. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** Connections per introspection endpoint (and worker); more concurrent calls queue, within their timeout. */
const MAX_CONNECTIONS = 64;

// Shared by every instance: an agent per instance would leave its sockets open after each config
// change. undici's request() never follows redirects: a 3xx is a failure like any other status.
const agent = new Agent({ connections: MAX_CONNECTIONS, keepAliveTimeout: 10_000, maxResponseSize: MAX_RESPONSE_BYTES });

export interface IntrospectionEndpoint {
  readonly url: string;
  /** `Basic …` for client_secret_basic, computed once. */
  readonly authorization: string;
  readonly tokenTypeHint: string;
  readonly timeoutMs: number;
}

export type IntrospectionOutcome = IntrospectionAnswer | { readonly failed: string; readonly status?: number };

export function isFailure(o: IntrospectionOutcome): o is { readonly failed: string; readonly status?: number } {
  return 'failed' in o;
}

/**
 * The Authorization header of client_secret_basic (RFC 6749 §2.3.1): id and secret are
 * form-urlencoded before being joined and base64-encoded, so a `:` in the id stays unambiguous.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  const form = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`;
}

export async function introspect(endpoint: IntrospectionEndpoint, token: string): Promise<IntrospectionOutcome> {
  try {
    const res = await request(endpoint.url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        authorization: endpoint.authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': 'portcullis-oauth2-introspection',
      },
      body: new URLSearchParams({ token, token_type_hint: endpoint.tokenTypeHint }).toString(),
      // One deadline for everything: connecting, waiting for headers and reading the body.
      signal: AbortSignal.timeout(endpoint.timeoutMs),
      headersTimeout: endpoint.timeoutMs,
      bodyTimeout: endpoint.timeoutMs,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      discard(res.body);
      return { failed: 'unexpected status', status: res.statusCode };
    }
    const body = await readCapped(res.body, res.headers['content-length']);
    if (body === undefined) return { failed: 'response too large' };
    const answer = parseIntrospection(body);
    return typeof answer === 'string' ? { failed: answer } : answer;
  } catch (err) {
    return { failed: describe(err) };
  }
}

type Body = Dispatcher.ResponseData['body'];

/** The body as text, or undefined when it is larger than MAX_RESPONSE_BYTES (announced or not). */
async function readCapped(body: Body, contentLength: string | string[] | undefined): Promise<string | undefined> {
  if (typeof contentLength === 'string' && Number(contentLength) > MAX_RESPONSE_BYTES) {
    discard(body);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      discard(body);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Drops a body without reading it. undici's body emits an abort error when destroyed unread;
 * without a listener that error would be an uncaught exception and take the worker down.
 */
function discard(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

// Only an error's name or code: messages of lower layers are not ours to vouch for.
function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const code = (err as { code?: unknown }).code;
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'response too large';
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
    return `request failed (${typeof code === 'string' ? code : err.name})`;
  }
  return 'request failed';
}
