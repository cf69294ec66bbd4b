// Raw HTTP/1.1 over a socket, for requests no well-behaved client would send.
import { connect } from 'node:net';

export interface RawResponse {
  /** Everything received until the server closed (or the timeout). */
  text: string;
  status: number | undefined;
  /** Whether the server closed the connection. */
  closed: boolean;
}

export function rawRequest(port: number, payload: string | Buffer, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : undefined, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c) => { text += c.toString('latin1'); });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err) => { if (!settled && text === '') { settled = true; clearTimeout(timer); reject(err); } else finish(true); });
    socket.write(payload);
  });
}

/** The JSON body of a raw response (after the blank line), for problem+json checks. */
export function rawBody(r: RawResponse): unknown {
  const i = r.text.indexOf('\r\n\r\n');
  const body = r.text.slice(i + 4);
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
