// The fast lane's request: what the gateway reads of node:http's IncomingMessage (exchange.ts,
// edge-checks.ts, the OAuth2 endpoints), for a request that has no body (the fast lane takes no
// other, http1/parse-head.ts). It is a Readable that has already ended, so code that reads a body
// sees an empty one, as it would from node:http.
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ParsedHead } from './parse-head.ts';

export class FastRequest extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly rawHeaders: string[];
  readonly httpVersion = '1.1';
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  readonly socket: Socket;
  readonly complete = true;
  readonly aborted = false;
  readonly trailers: Record<string, string> = {};
  readonly rawTrailers: string[] = [];

  constructor(head: ParsedHead, socket: Socket) {
    super();
    this.method = head.method;
    this.url = head.url;
    this.headers = head.headers;
    this.rawHeaders = head.rawHeaders;
    this.socket = socket;
    this.push(null);
  }

  get connection(): Socket {
    return this.socket;
  }

  override _read(): void {}
}
