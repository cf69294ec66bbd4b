// The one registry of every error the platform itself answers with. docs/errors.md is kept in
// step with this table by a test (registry.test.ts): add a row here and a section there.

export interface ErrorDefinition {
  /** HTTP status sent with this error. */
  readonly status: number;
  /** Generic, stable title: never request-specific. */
  readonly title: string;
  /** Default detail, safe to show to any client. */
  readonly detail: string;
}

export const PROBLEM_TYPE_BASE = 'https://portcullis.dev/problems/';

export const ERRORS = {
  'bad-request': { status: 400, title: 'Bad Request', detail: 'The request is malformed.' },
  'invalid-path': { status: 400, title: 'Invalid Path', detail: 'The request path is not acceptable.' },
  'absolute-form-rejected': { status: 400, title: 'Bad Request', detail: 'Absolute-form request targets are not accepted.' },
  'request-timeout': { status: 408, title: 'Request Timeout', detail: 'The request was not received in time.' },
  'forbidden': { status: 403, title: 'Forbidden', detail: 'You are not allowed to access this resource.' },
  'subscription-required': { status: 403, title: 'Subscription Required', detail: 'This API needs an active subscription to a plan that covers it.' },
  'route-not-found': { status: 404, title: 'Not Found', detail: 'No route matches this request.' },
  'version-sunset': { status: 410, title: 'Gone', detail: 'This API version has been retired; the Link header points to its successor.' },
  'payload-too-large': { status: 413, title: 'Payload Too Large', detail: 'The request body exceeds the allowed size.' },
  'uri-too-long': { status: 414, title: 'URI Too Long', detail: 'The request URL exceeds the allowed length.' },
  'quota-exceeded': { status: 429, title: 'Quota Exceeded', detail: 'The quota for this period is used up; it resets at the time Retry-After gives.' },
  'header-fields-too-large': { status: 431, title: 'Request Header Fields Too Large', detail: 'The request headers exceed the allowed size or count.' },
  'internal-error': { status: 500, title: 'Internal Server Error', detail: 'The gateway could not process the request.' },
  'upstream-unavailable': { status: 502, title: 'Bad Gateway', detail: 'The upstream service could not be reached.' },
  'upstream-bad-response': { status: 502, title: 'Bad Gateway', detail: 'The upstream service sent an invalid response.' },
  'no-healthy-upstream': { status: 503, title: 'Service Unavailable', detail: 'No healthy upstream target is available.' },
  'maintenance': { status: 503, title: 'Service Unavailable', detail: 'The service is down for maintenance.' },
  'rate-limited': { status: 429, title: 'Too Many Requests', detail: 'The rate limit for these requests is exhausted; retry after the time in Retry-After.' },
  'rate-limit-unavailable': { status: 503, title: 'Service Unavailable', detail: 'Rate limits cannot be checked right now; try again shortly.' },
  'circuit-open': { status: 503, title: 'Service Unavailable', detail: 'The upstream service is failing; requests are paused for a while. Retry after the time in Retry-After.' },
  'concurrency-limit-exceeded': { status: 503, title: 'Service Unavailable', detail: 'Too many requests are in progress for this API; retry shortly.' },
  'quota-unavailable': { status: 503, title: 'Service Unavailable', detail: 'The quota could not be checked; try again shortly.' },
  'shutting-down': { status: 503, title: 'Service Unavailable', detail: 'The gateway is shutting down; retry on a new connection.' },
  'webhook-signature-invalid': { status: 401, title: 'Invalid Webhook Signature', detail: 'The request does not carry a valid webhook signature.' },
  'webhook-timestamp-out-of-tolerance': { status: 401, title: 'Webhook Timestamp Out of Tolerance', detail: 'The webhook was signed too long ago, or its timestamp is ahead of the gateway clock.' },
  'webhook-replayed': { status: 409, title: 'Webhook Replayed', detail: 'This webhook delivery was already received.' },
  'webhook-replay-check-unavailable': { status: 503, title: 'Service Unavailable', detail: 'Webhook deliveries cannot be checked for replays right now; try again shortly.' },
  'validation-failed': { status: 400, title: 'Validation Failed', detail: 'The request body or parameters are invalid; see errors.' },
  'unauthorized': { status: 401, title: 'Unauthorized', detail: 'Valid credentials are required.' },
  'not-found': { status: 404, title: 'Not Found', detail: 'The resource does not exist.' },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed', detail: 'This resource does not support the method.' },
  'read-only-config': { status: 405, title: 'Method Not Allowed', detail: 'This node runs from a config file (DB-less mode); change the file instead.' },
  'conflict': { status: 409, title: 'Conflict', detail: 'The resource conflicts with an existing one.' },
  'entity-in-use': { status: 409, title: 'Conflict', detail: 'Other entities still refer to this one.' },
  'precondition-failed': { status: 412, title: 'Precondition Failed', detail: 'The resource changed since you read it (If-Match).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type', detail: 'Send the body as application/json.' },
  'store-unavailable': { status: 503, title: 'Service Unavailable', detail: 'The config store is unreachable; try again shortly.' },
  'cache-purge-failed': { status: 503, title: 'Service Unavailable', detail: 'The shared cache or the other nodes could not be reached for the purge; try again shortly.' },
  'oauth2-invalid-request': { status: 400, title: 'Invalid OAuth2 Request', detail: 'The OAuth2 request is missing a parameter, repeats one, or is otherwise malformed.' },
  'oauth2-invalid-client': { status: 401, title: 'Invalid OAuth2 Client', detail: 'Client authentication failed.' },
  'oauth2-unsupported-grant-type': { status: 400, title: 'Unsupported Grant Type', detail: 'Only the client_credentials grant is supported.' },
  'oauth2-invalid-scope': { status: 400, title: 'Invalid Scope', detail: 'A requested scope is unknown or not allowed for this client.' },
  'oauth2-unavailable': { status: 503, title: 'Service Unavailable', detail: 'The authorization server cannot issue or revoke tokens right now; try again shortly.' },
  'invalid-credentials': { status: 401, title: 'Invalid Credentials', detail: 'The email address or password is not right.' },
  'csrf-failed': { status: 403, title: 'Forbidden', detail: 'The request failed the cross-site request forgery check.' },
  'token-invalid': { status: 400, title: 'Invalid Token', detail: 'The link is invalid, expired or already used; ask for a new one.' },
  'email-not-verified': { status: 403, title: 'Email Not Verified', detail: 'Confirm your email address (the link in the welcome mail) before doing this.' },
  'too-many-attempts': { status: 429, title: 'Too Many Attempts', detail: 'Too many attempts; wait for the time in Retry-After and try again.' },
  'last-owner': { status: 409, title: 'Conflict', detail: 'A team needs at least one owner; make someone else owner first.' },
  'invoice-not-open': { status: 409, title: 'Invoice Not Open', detail: 'Only an open invoice can be marked paid or void.' },
  'upstream-timeout': { status: 504, title: 'Gateway Timeout', detail: 'The upstream service did not answer in time.' },
  'websocket-origin-forbidden': { status: 403, title: 'Origin Not Allowed', detail: 'WebSocket connections from this origin are not allowed.' },
  'xml-forbidden': { status: 400, title: 'Forbidden XML', detail: 'The XML document uses a construct that is not accepted (a DTD, an entity declaration or a processing instruction).' },
  'xml-too-large': { status: 400, title: 'XML Too Large', detail: 'The XML document exceeds a size, depth, count or length limit.' },
  'xml-malformed': { status: 400, title: 'Malformed XML', detail: 'The XML document is not well-formed.' },
  'soap-invalid-request': { status: 400, title: 'Invalid SOAP Request', detail: 'The request is not a SOAP envelope this service accepts.' },
  'soap-unknown-operation': { status: 400, title: 'Unknown SOAP Operation', detail: 'The service does not offer this operation.' },
  'soap-action-mismatch': { status: 400, title: 'SOAP Action Mismatch', detail: 'The declared SOAP action is missing or does not match the operation in the Body.' },
  'soap-mediation-invalid': { status: 400, title: 'Invalid Request Body', detail: 'The JSON body does not match the operation’s input; see `errors`.' },
  'soap-fault-client': { status: 400, title: 'SOAP Fault', detail: 'The SOAP service refused the request (a Client/Sender fault).' },
  'soap-fault-server': { status: 502, title: 'SOAP Fault', detail: 'The SOAP service failed to process the request (a Server/Receiver fault).' },
  'soap-response-invalid': { status: 502, title: 'Bad Gateway', detail: 'The SOAP service sent a response that is not a valid envelope of the operation.' },
  'graphql-introspection-failed': { status: 502, title: 'Bad Gateway', detail: 'The service’s upstream did not answer the introspection query with a usable schema.' },
  'edi-invalid-document': { status: 400, title: 'Invalid EDI Document', detail: 'The EDI interchange is malformed or its envelope does not add up; see errors.' },
  'edi-partner-not-allowed': { status: 403, title: 'Trading Partner Not Allowed', detail: 'The sender is not a trading partner allowed to send this document type on this route.' },
  'edi-unsupported-media-type': { status: 415, title: 'Unsupported Media Type', detail: 'Send the interchange as application/edi-x12, application/edifact or text/plain.' },
  'edi-response-not-convertible': { status: 502, title: 'Bad Gateway', detail: 'The upstream answer could not be turned into an EDI document.' },
  'edi-control-numbers-unavailable': { status: 503, title: 'Service Unavailable', detail: 'No interchange control number could be reserved in time; try again shortly.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code;
}

/**
 * An error with a registry code. Thrown or returned anywhere below the listener and turned
 * into problem+json by the one serializer; `detail` overrides the default and must be safe to show.
 */
export class ProblemError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly headers: Record<string, string> | undefined;
  constructor(code: ErrorCode, detail?: string, headers?: Record<string, string>) {
    const def = ERRORS[code];
    super(detail ?? def.detail);
    this.name = 'ProblemError';
    this.code = code;
    this.status = def.status;
    this.detail = detail ?? def.detail;
    this.headers = headers;
  }
}
