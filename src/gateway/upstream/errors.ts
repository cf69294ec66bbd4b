// Classifies what went wrong talking to an upstream: which error the client gets, whether the
// target's health suffers, and whether the request may be tried again.
import type { ErrorCode } from '../../core/errors/registry.ts';

export type UpstreamFailureKind = 'refused' | 'connect-timeout' | 'timeout' | 'reset' | 'bad-response' | 'body-too-large' | 'client-body-timeout' | 'client-aborted' | 'other';

export interface UpstreamFailure {
  readonly kind: UpstreamFailureKind;
  /** Nothing of the request reached the upstream application (connection never established). */
  readonly beforeRequestSent: boolean;
  readonly problem: ErrorCode;
  /** Counts against the target's passive health. */
  readonly targetFault: boolean;
}

export class BodyTooLargeError extends Error {
  readonly code = 'PORTCULLIS_BODY_TOO_LARGE';
  constructor() { super('request body exceeds the limit'); }
}

export class BodyStallError extends Error {
  readonly code = 'PORTCULLIS_BODY_STALL';
  readonly upstreamSide: boolean;
  constructor(upstreamSide: boolean) {
    super(upstreamSide ? 'upstream stopped reading the request body' : 'client stopped sending the request body');
    this.upstreamSide = upstreamSide;
  }
}

/** Our own per-attempt read timer fired (undici's timers are only accurate to about a second). */
export class UpstreamTimeoutError extends Error {
  readonly code = 'PORTCULLIS_UPSTREAM_TIMEOUT';
  constructor() { super('upstream did not send response headers in time'); }
}

export class ClientGoneError extends Error {
  readonly code = 'PORTCULLIS_CLIENT_GONE';
  constructor() { super('client closed the connection'); }
}

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const e = err as { name?: string; code?: string; cause?: { code?: string }; upstreamSide?: boolean };
  // undici's HTTPParserError carries no code: an upstream response that is not valid HTTP/1.1.
  if (e?.name === 'HTTPParserError') return { kind: 'bad-response', beforeRequestSent: false, problem: 'upstream-bad-response', targetFault: true };
  const code = e?.code ?? e?.cause?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'refused', beforeRequestSent: true, problem: 'upstream-unavailable', targetFault: true };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'connect-timeout', beforeRequestSent: true, problem: 'upstream-timeout', targetFault: true };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'PORTCULLIS_UPSTREAM_TIMEOUT':
      return { kind: 'timeout', beforeRequestSent: false, problem: 'upstream-timeout', targetFault: true };
    case 'PORTCULLIS_BODY_TOO_LARGE':
      return { kind: 'body-too-large', beforeRequestSent: false, problem: 'payload-too-large', targetFault: false };
    case 'PORTCULLIS_BODY_STALL':
      return e.upstreamSide
        ? { kind: 'timeout', beforeRequestSent: false, problem: 'upstream-timeout', targetFault: true }
        : { kind: 'client-body-timeout', beforeRequestSent: false, problem: 'request-timeout', targetFault: false };
    case 'PORTCULLIS_CLIENT_GONE':
    case 'UND_ERR_ABORTED':
      return { kind: 'client-aborted', beforeRequestSent: false, problem: 'bad-request', targetFault: false };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { kind: 'reset', beforeRequestSent: false, problem: 'upstream-unavailable', targetFault: true };
    default:
      if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO' || code === 'UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE') {
        return { kind: 'bad-response', beforeRequestSent: false, problem: 'upstream-bad-response', targetFault: true };
      }
      return { kind: 'other', beforeRequestSent: false, problem: 'upstream-unavailable', targetFault: true };
  }
}
