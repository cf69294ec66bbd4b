// Close codes on their way through the proxy. A close received from one peer is passed to the
// other, except the codes RFC 6455 §7.4.1 reserves for "nothing was said" (1005) and "the
// connection dropped without a close frame" (1006, 1015): those may not be sent in a frame.

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL = 1011;

/** Codes that may appear in a close frame (the same rule the ws library enforces when sending). */
export function sendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * The code to send to one peer after the other closed with `received`. No status (1005) means a
 * normal close. A dropped upstream (1006) is, for the client, a failure of the server side
 * (1011); a dropped client is, for the upstream, a client that went away (1001).
 */
export function relayedCloseCode(received: number, toward: 'client' | 'upstream'): number {
  if (received === 1005) return CLOSE_NORMAL;
  if (sendableCloseCode(received)) return received;
  return toward === 'client' ? CLOSE_INTERNAL : CLOSE_GOING_AWAY;
}

/** The close code the ws library sends a peer whose frames broke a rule, by its error code. */
export function violationCloseCode(errorCode: string | undefined): number {
  switch (errorCode) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH': return CLOSE_TOO_BIG;
    case 'WS_ERR_INVALID_UTF8': return CLOSE_INVALID_PAYLOAD;
    default: return CLOSE_PROTOCOL_ERROR;
  }
}
