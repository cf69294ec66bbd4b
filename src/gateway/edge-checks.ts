// The limits every request meets before anything else (RELIABILITY.md "edge-safe defaults"): the
// request target's length, the number of header fields, exactly one valid Host. The refusals are
// shared constants: a request that passes costs no allocation here.
import type { IncomingMessage } from 'node:http';
import type { GatewaySettings } from '../core/config/schema.ts';
import type { ErrorCode } from '../core/errors/registry.ts';

export interface EdgeRefusal {
  readonly code: ErrorCode;
  readonly detail?: string;
}

const URI_TOO_LONG: EdgeRefusal = Object.freeze({ code: 'uri-too-long' });
const TOO_MANY_FIELDS: EdgeRefusal = Object.freeze({ code: 'header-fields-too-large' });
const BAD_HOST: EdgeRefusal = Object.freeze({ code: 'bad-request', detail: 'A request needs exactly one valid Host header.' });

/** Why the request is refused at the edge, or undefined when it passes. */
export function edgeRefusal(req: IncomingMessage, settings: GatewaySettings): EdgeRefusal | undefined {
  if ((req.url ?? '/').length > settings.max_url_bytes) return URI_TOO_LONG;
  if (req.rawHeaders.length > settings.max_headers * 2) return TOO_MANY_FIELDS;
  const host = req.headers.host;
  // HTTP/1.1 requires exactly one Host (RFC 9112 §3.2); duplicates arrive joined with ", ".
  if ((host === undefined && req.httpVersionMinor >= 1) || (host !== undefined && (host.includes(',') || host === ''))) return BAD_HOST;
  return undefined;
}
