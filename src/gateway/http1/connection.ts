// One client connection on the fast lane: request heads are parsed here (parse-head.ts) and each
// request is handed to the gateway with a FastRequest / FastResponse, one at a time (pipelined
// requests wait in the buffer, so answers go out in order). The first request the fast lane does
// not take (a body, an upgrade, anything unusual or malformed) hands the whole connection, with
// its unread bytes, to node:http, which keeps it from then on: every refusal and every
// request-smuggling defence stays node:http's.
import type { Socket } from 'node:net';
import { parseRequestHead, type HeadLimits } from './parse-head.ts';
import { FastRequest } from './request.ts';
import { FastResponse, type ResponseOwner } from './response.ts';

/** What a connection needs from its listener (http1/server.ts). */
export interface FastLaneHost {
  readonly limits: HeadLimits;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** No new requests: idle connections close, answers carry Connection: close. */
  readonly draining: boolean;
  serve(req: FastRequest, res: FastResponse): void;
  /** node:http takes the connection; `unread` are the bytes it has not seen yet. */
  handOff(socket: Socket, unread: Buffer | undefined): void;
  /** A head was not complete within headers_timeout_ms: answer 408 and close. */
  timedOut(socket: Socket): void;
  connectionEnded(conn: FastConnection): void;
}

/** Unread bytes beyond which the connection stops reading until its answer is out (pipelining floods). */
const MAX_BUFFERED = 1024 * 1024;

/**
 * A head still incomplete after this many reads, or this many bytes, goes to node:http, whose
 * parser is incremental: the fast lane's parses the head from its start on each read, which a
 * client trickling a large head byte by byte would otherwise turn into quadratic work. Ordinary
 * clients send a head in one packet.
 */
const MAX_PARTIAL_READS = 4;
const MAX_PARTIAL_BYTES = 8 * 1024;

export class FastConnection implements ResponseOwner {
  readonly socket: Socket;
  readonly #host: FastLaneHost;
  #unread: Buffer | undefined;
  #current: FastResponse | undefined;
  #keepAlive = true;
  /**
   * What the connection waits for, and since when (Date.now()): a request head (408 after
   * headers_timeout_ms once bytes of it came), or nothing between requests (closed after
   * keep_alive_timeout_ms). The listener checks every connection once a second (sweep()), as
   * node:http does: no timer per request.
   */
  #waiting: 'head' | 'idle' | 'busy' = 'head';
  #since = Date.now();
  #gone = false;
  #paused = false;
  /** Reads that ended with the current head still incomplete. */
  #partialReads = 0;
  readonly #onData = (chunk: Buffer): void => this.#received(chunk);
  readonly #onClose = (): void => this.#closed();
  readonly #onError = (): void => {};

  constructor(host: FastLaneHost, socket: Socket) {
    this.#host = host;
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
  }

  get keepAliveSeconds(): number {
    return Math.floor(this.#host.keepAliveTimeoutMs / 1000);
  }

  get canKeepAlive(): boolean {
    return this.#keepAlive;
  }

  get hasUnread(): boolean {
    return this.#unread !== undefined;
  }

  /** Idle (no request in progress, nothing unread): may be closed at once (drain). */
  get idle(): boolean {
    return this.#current === undefined && this.#unread === undefined;
  }

  close(): void {
    this.socket.destroy();
  }

  #received(chunk: Buffer): void {
    this.#unread = this.#unread === undefined ? chunk : Buffer.concat([this.#unread, chunk]);
    if (this.#current !== undefined) {
      if (this.#unread.length > MAX_BUFFERED && !this.#paused) {
        this.#paused = true;
        this.socket.pause();
      }
      return;
    }
    this.#next();
  }

  /** Starts the next request in the buffer, if its head is complete. */
  #next(): void {
    const unread = this.#unread;
    if (unread === undefined || this.#gone) return;
    const head = parseRequestHead(unread, 0, this.#host.limits);
    if (head.kind === 'incomplete') {
      if (++this.#partialReads >= MAX_PARTIAL_READS || unread.length > MAX_PARTIAL_BYTES) return this.#handOff();
      if (this.#waiting !== 'head') this.#wait('head');
      return;
    }
    this.#partialReads = 0;
    if (head.kind === 'handoff') return this.#handOff();
    this.#unread = head.headEnd === unread.length ? undefined : unread.subarray(head.headEnd);
    this.#waiting = 'busy';
    this.#keepAlive = head.keepAlive;
    const res = new FastResponse(this, head.method === 'HEAD');
    this.#current = res;
    this.#host.serve(new FastRequest(head, this.socket), res);
  }

  responseDone(res: FastResponse, close: boolean): void {
    if (this.#current !== res) return;
    this.#current = undefined;
    // node:http emits 'close' on a finished response too; the exchange ends (and logs) on it.
    res.emit('close');
    if (this.#gone) return;
    if (close) {
      this.#gone = true;
      this.socket.end();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
    this.#wait('idle');
    if (this.#unread !== undefined) this.#next();
    else if (this.#host.draining) this.close();
  }

  /** Called once a second by the listener: applies the header and keep-alive timeouts. */
  sweep(now: number): void {
    if (this.#gone || this.#waiting === 'busy') return;
    if (this.#waiting === 'head') {
      if (now - this.#since < this.#host.headersTimeoutMs) return;
      // A head begun and not finished in time gets 408; a connection that sent nothing just closes.
      if (this.#unread === undefined) return this.close();
      this.#gone = true;
      this.#host.timedOut(this.socket);
      return;
    }
    if (now - this.#since >= this.#host.keepAliveTimeoutMs) this.close();
  }

  #handOff(): void {
    const socket = this.socket;
    socket.off('data', this.#onData);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.pause();
    this.#gone = true;
    this.#host.connectionEnded(this);
    const unread = this.#unread;
    this.#unread = undefined;
    this.#host.handOff(socket, unread);
  }

  #closed(): void {
    if (this.#gone && this.#current === undefined) {
      this.#host.connectionEnded(this);
      return;
    }
    this.#gone = true;
    this.#host.connectionEnded(this);
    const res = this.#current;
    this.#current = undefined;
    res?.connectionClosed();
  }

  #wait(kind: 'head' | 'idle'): void {
    this.#waiting = kind;
    this.#since = Date.now();
  }
}
