// The client's address when the connection comes from a trusted proxy: walk X-Forwarded-For from
// the nearest hop back while the hops are trusted proxies themselves.
import { parseIp, type CidrSet } from '../core/net/cidr.ts';

/** `peer` is a trusted proxy; returns the first untrusted address in its X-Forwarded-For chain. */
export function clientBehindProxies(peer: string, xff: string | string[] | undefined, trusted: CidrSet): string {
  if (typeof xff !== 'string') return peer;
  const hops = xff.split(',');
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    // Garbage in the chain ends the walk: the last address we could vouch for is the client.
    if (!parseIp(hop)) return client;
    client = hop;
    if (!trusted.contains(hop)) return hop;
  }
  return client;
}

/** The connection comes from a trusted proxy (its X-Forwarded-* fields are believed). */
export function isTrustedPeer(peer: string, trusted: CidrSet): boolean {
  return trusted.size > 0 && trusted.contains(peer);
}
