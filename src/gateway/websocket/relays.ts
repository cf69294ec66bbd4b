// The proxied WebSocket connections of one gateway, for graceful shutdown: 1001 to every peer,
// then a bounded wait for the close handshakes, then whatever is left is dropped.
import type { GatewayState } from '../state.ts';
import type { Relay } from './relay.ts';

export class Relays {
  private readonly open = new Set<Relay>();

  add(relay: Relay): void {
    this.open.add(relay);
  }

  ended(relay: Relay): void {
    this.open.delete(relay);
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes every connection with 1001; resolves once all closed, or after `timeoutMs` (then drops the rest). */
  async closeAll(timeoutMs: number): Promise<void> {
    if (this.open.size === 0) return;
    const relays = [...this.open];
    for (const r of relays) r.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.all(relays.map((r) => r.ended)), timedOut]);
    clearTimeout(timer);
    for (const r of this.open) r.terminate();
  }
}

const byGateway = new WeakMap<GatewayState, Relays>();

export function relaysOf(gw: GatewayState): Relays {
  let r = byGateway.get(gw);
  if (r === undefined) {
    r = new Relays();
    byGateway.set(gw, r);
  }
  return r;
}

/** Graceful shutdown of the gateway's WebSocket connections (see Relays.closeAll). */
export function closeWebSockets(gw: GatewayState, timeoutMs: number): Promise<void> {
  return byGateway.get(gw)?.closeAll(timeoutMs) ?? Promise.resolve();
}
