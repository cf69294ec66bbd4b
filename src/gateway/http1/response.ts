// The fast lane's response (http1/connection.ts): the part of node:http's ServerResponse the
// gateway uses (exchange.ts, respond.ts), written straight to the socket. Framing follows
// node:http's, so that a client cannot tell the two paths apart: Content-Length when given,
// chunked otherwise; no body for HEAD, 1xx, 204 and 304; Date, Connection and Keep-Alive added
// as node adds them. Header names and values are checked as node checks them (no CR/LF/NUL:
// response splitting), and a bad one throws before anything is written.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { httpDate } from './date.ts';

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const CRLF = '\r\n';
/** Up to this many body bytes are copied in with the head, so that the answer is one write. */
const SMALL = 16 * 1024;

const CLOSE_TOKEN = /(^|,)\s*close\s*(,|$)/;

/** Header fields serialised for the wire, checked as node:http checks them, with the framing fields noted. */
class HeadBlock {
  text = '';
  date = false;
  contentLength = false;
  transferEncoding = false;
  /** The Connection field's value, lower-cased. */
  connection: string | undefined;

  add(name: string, value: string | number): void {
    const text = typeof value === 'number' ? String(value) : value;
    if (!TOKEN.test(name)) throw new InvalidHeaderError('ERR_INVALID_HTTP_TOKEN', name);
    if (INVALID_VALUE.test(text)) throw new InvalidHeaderError('ERR_INVALID_CHAR', name);
    this.text += `${name}: ${text}${CRLF}`;
    switch (name.length) {
      case 4: if (name.toLowerCase() === 'date') this.date = true; break;
      case 10: if (name.toLowerCase() === 'connection') this.connection = text.toLowerCase(); break;
      case 14: if (name.toLowerCase() === 'content-length') this.contentLength = true; break;
      case 17: if (name.toLowerCase() === 'transfer-encoding') this.transferEncoding = true; break;
    }
  }
}

/** Serialised stored fields, by the (never changing) object they came from. */
const STORED_BLOCKS = new WeakMap<object, HeadBlock>();

/** A header field the gateway could not write (node:http throws the same on these). */
export class InvalidHeaderError extends TypeError {
  readonly code: string;
  constructor(code: 'ERR_INVALID_HTTP_TOKEN' | 'ERR_INVALID_CHAR', what: string) {
    super(code === 'ERR_INVALID_CHAR' ? `Invalid character in header content ["${what}"]` : `Header name must be a valid HTTP token ["${what}"]`);
    this.code = code;
  }
}

/** What the response needs from its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  /** Seconds announced in Keep-Alive (the idle timeout). */
  readonly keepAliveSeconds: number;
  /** The client did not ask to close the connection after this request. */
  readonly canKeepAlive: boolean;
  /** Bytes of a further request are waiting (pipelined behind this one). */
  readonly hasUnread: boolean;
  /** The response has been handed to the socket in full; `close` says whether the connection ends. */
  responseDone(res: FastResponse, close: boolean): void;
}

type HeaderValue = string | number | readonly string[] | undefined;
type Headers = Readonly<Record<string, HeaderValue>> | readonly string[];

export class FastResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  /**
   * Set false to close the connection after this response (client-connection.ts closeIfLatest,
   * drain): as with node:http, a request already pipelined behind this one keeps it open.
   */
  shouldKeepAlive = true;
  sendDate = true;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  readonly socket: Socket;
  readonly #owner: ResponseOwner;
  readonly #isHead: boolean;
  /** The serialised head, not yet on the socket (it goes out with the first body bytes). */
  #head: string | undefined;
  #hasBody = true;
  #chunked = false;
  #close = false;
  #waitingDrain = false;

  constructor(owner: ResponseOwner, isHead: boolean) {
    super();
    this.#owner = owner;
    this.socket = owner.socket;
    this.#isHead = isHead;
  }

  writeHead(status: number, headers?: Headers): this {
    return this.#writeHead(status, undefined, headers);
  }

  /**
   * writeHead with fields shared by many answers (a cache entry's stored fields, never changed once
   * given: see PluginResponse.storedHeaders) plus this answer's own, which must not repeat a stored
   * name. The stored fields are checked and serialised once per object.
   */
  writeHeadWithStored(status: number, stored: Readonly<Record<string, string>>, own: readonly string[]): this {
    let block = STORED_BLOCKS.get(stored);
    if (block === undefined) {
      block = new HeadBlock();
      for (const name in stored) block.add(name, stored[name]!);
      STORED_BLOCKS.set(stored, block);
    }
    return this.#writeHead(status, block, own);
  }

  #writeHead(status: number, stored: HeadBlock | undefined, headers: Headers | undefined): this {
    if (this.headersSent) throw new Error('ERR_HTTP_HEADERS_SENT: headers already sent');
    const fields = new HeadBlock();
    if (headers !== undefined) {
      if (Array.isArray(headers)) {
        const list = headers as readonly string[];
        for (let i = 0; i < list.length; i += 2) fields.add(list[i]!, list[i + 1]!);
      } else {
        const map = headers as Readonly<Record<string, HeaderValue>>;
        for (const name in map) {
          const value = map[name];
          if (value === undefined) continue;
          if (typeof value === 'object') for (const v of value) fields.add(name, v);
          else fields.add(name, value);
        }
      }
    }
    this.statusCode = status;
    let head = `HTTP/1.1 ${status} ${this.statusMessage || STATUS_CODES[status] || 'unknown'}${CRLF}`;
    if (stored !== undefined) head += stored.text;
    head += fields.text;
    const date = fields.date || (stored?.date ?? false);
    const contentLength = fields.contentLength || (stored?.contentLength ?? false);
    const transferEncoding = fields.transferEncoding || (stored?.transferEncoding ?? false);
    const connection = fields.connection ?? stored?.connection;
    if (this.sendDate && !date) head += `Date: ${httpDate()}${CRLF}`;
    this.#close = (!this.shouldKeepAlive && !this.#owner.hasUnread) || !this.#owner.canKeepAlive || (connection !== undefined && CLOSE_TOKEN.test(connection));
    if (connection === undefined) head += this.#close ? `Connection: close${CRLF}` : `Connection: keep-alive${CRLF}Keep-Alive: timeout=${this.#owner.keepAliveSeconds}${CRLF}`;
    this.#hasBody = !this.#isHead && status !== 204 && status !== 304 && (status < 100 || status >= 200);
    if (this.#hasBody && !contentLength) {
      if (!transferEncoding) head += `Transfer-Encoding: chunked${CRLF}`;
      this.#chunked = true;
    }
    this.#head = head + CRLF;
    this.headersSent = true;
    return this;
  }

  /** Sends the head now (event streams: the client must see it before the first event). */
  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.#head !== undefined) this.#send(undefined, false);
  }

  write(chunk: string | Uint8Array, cb?: () => void): boolean {
    if (this.writableEnded) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const ok = this.#send(chunk, false, cb);
    if (!ok && !this.#waitingDrain) {
      this.#waitingDrain = true;
      this.socket.once('drain', () => {
        this.#waitingDrain = false;
        this.emit('drain');
      });
    }
    return ok;
  }

  end(chunk?: string | Uint8Array | (() => void), cb?: () => void): this {
    if (typeof chunk === 'function') return this.end(undefined, chunk);
    if (this.writableEnded) return this;
    if (!this.headersSent) {
      // Like node:http: a body given at once, with no length set, is sent with its length.
      const length = chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      this.writeHead(this.statusCode, ['Content-Length', String(length)]);
    }
    this.writableEnded = true;
    this.#send(chunk, true, () => {
      this.writableFinished = true;
      cb?.();
      this.emit('finish');
      this.#owner.responseDone(this, this.#close);
    });
    return this;
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.socket.destroy(err);
    return this;
  }

  /** The connection closed before this response was finished (or after: then nothing happens). */
  connectionClosed(): void {
    if (this.writableFinished) return;
    this.destroyed = true;
    this.emit('close');
  }

  /**
   * Writes the pending head, the body bytes (chunk-framed when chunked) and, on `last`, the last
   * chunk, in one socket write: small answers are copied into one buffer (one write system call),
   * larger ones go out corked (one writev).
   */
  #send(chunk: string | Uint8Array | undefined, last: boolean, cb?: () => void): boolean {
    const socket = this.socket;
    if (socket.destroyed) return false;
    const head = this.#head;
    this.#head = undefined;
    const body = chunk === undefined || !this.#hasBody ? undefined : typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const size = body === undefined ? 0 : body.byteLength;
    const prefix = (head ?? '') + (size > 0 && this.#chunked ? `${size.toString(16)}${CRLF}` : '');
    const suffix = this.#chunked ? (size > 0 ? (last ? '\r\n0\r\n\r\n' : CRLF) : last ? '0\r\n\r\n' : '') : '';
    if (prefix.length + size + suffix.length === 0) {
      if (cb !== undefined) queueMicrotask(cb);
      return true;
    }
    if (size === 0) return socket.write(prefix + suffix, 'latin1', cb);
    if (size <= SMALL) {
      const out = Buffer.allocUnsafe(prefix.length + size + suffix.length);
      out.write(prefix, 0, 'latin1');
      out.set(body!, prefix.length);
      if (suffix.length > 0) out.write(suffix, prefix.length + size, 'latin1');
      return socket.write(out, cb);
    }
    socket.cork();
    if (prefix.length > 0) socket.write(prefix, 'latin1');
    const ok = suffix.length > 0 ? (socket.write(body!), socket.write(suffix, 'latin1', cb)) : socket.write(body!, cb);
    socket.uncork();
    return ok;
  }
}
