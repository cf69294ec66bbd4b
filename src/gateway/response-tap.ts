// A copy of the response body as the client receives it, for the plugin that asked for it
// (ResponseView.bodyTap, e.g. proxy-cache storing a response). The body still streams to the
// client; the copy is kept up to the tap's limit and handed over once complete, or abandoned.
import type { BodyTap } from '../core/pipeline/context.ts';

export class ResponseTap {
  private readonly tap: BodyTap;
  /** Undefined once the tap is settled (completed or abandoned): later calls do nothing. */
  private chunks: Buffer[] | undefined = [];
  private bytes = 0;

  private constructor(tap: BodyTap) {
    this.tap = tap;
  }

  /** Starts copying; a HEAD response has no body, so its tap is abandoned at once. */
  static start(tap: BodyTap, method: string): ResponseTap | undefined {
    if (method === 'HEAD') {
      tap.abandoned();
      return undefined;
    }
    return new ResponseTap(tap);
  }

  add(chunk: Buffer): void {
    if (this.chunks === undefined) return;
    this.bytes += chunk.length;
    if (this.bytes > this.tap.limit) return this.abandon();
    this.chunks.push(chunk);
  }

  /** The body is complete: `whole` when it was buffered (and maybe rewritten) in one piece. */
  end(whole?: Buffer): void {
    const chunks = this.chunks;
    if (chunks === undefined) return;
    this.chunks = undefined;
    if (whole !== undefined && whole.length > this.tap.limit) return this.tap.abandoned();
    this.tap.complete(whole ?? Buffer.concat(chunks, this.bytes));
  }

  /** Too big, the upstream failed mid-body, or the client went away. */
  abandon(): void {
    if (this.chunks === undefined) return;
    this.chunks = undefined;
    this.tap.abandoned();
  }
}
