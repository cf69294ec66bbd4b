// Wraps a streamed request body when it needs watching: counts bytes against the route's limit
// (bodies without Content-Length; declared lengths are checked up front) and enforces the
// write timeout between chunks.
import { Transform, type TransformCallback } from 'node:stream';
import { BodyStallError, BodyTooLargeError } from './errors.ts';

export class BodyGuard extends Transform {
  /** Body bytes received from the client so far. */
  received = 0;
  private readonly limit: number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(limit: number, idleMs: number) {
    super({ highWaterMark: 64 * 1024 });
    this.limit = limit;
    if (idleMs > 0) {
      this.timer = setTimeout(() => this.stall(), idleMs);
      this.timer.unref();
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    this.timer?.refresh();
    if (this.limit > 0 && this.received > this.limit) {
      done(new BodyTooLargeError());
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.timer) clearTimeout(this.timer);
    done();
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    done(err);
  }

  private stall(): void {
    // Data waiting in our buffer means the upstream is not reading; none means the client is slow.
    this.destroy(new BodyStallError(this.readableLength > 0 || this.writableLength > 0));
  }
}
