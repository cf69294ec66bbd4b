// IPv4/IPv6 addresses and CIDR blocks as bigint ranges: parsed once at snapshot time,
// matched on the hot path with two comparisons.
import { isIPv4, isIPv6 } from 'node:net';

export interface CidrBlock {
  readonly v6: boolean;
  readonly first: bigint;
  readonly last: bigint;
  readonly text: string;
}

function v4ToBigInt(ip: string): bigint {
  let n = 0n;
  for (const part of ip.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  let tail: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  // Embedded IPv4 (::ffff:1.2.3.4): its 32 bits become the last two groups.
  if (text.includes('.', lastColon)) {
    tail = v4ToBigInt(text.slice(lastColon + 1));
    text = text.slice(0, lastColon) + ':0:0';
  }
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...restGroups];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g || '0', 16));
  if (tail !== undefined) n = (n & ~0xffffffffn) | tail;
  return n;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;

// Client addresses repeat: remember recent parses (bounded) so a check costs a Map lookup.
const recent = new Map<string, { v6: boolean; value: bigint } | undefined>();
const RECENT_MAX = 4096;

/** Parses an address to a number; IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded to IPv4. */
export function parseIp(ip: string): { v6: boolean; value: bigint } | undefined {
  // No address is longer than this (IPv6 with an embedded IPv4 and a zone); longer input is
  // client garbage and is neither parsed nor remembered.
  if (ip.length > 64) return undefined;
  const known = recent.get(ip);
  if (known !== undefined || recent.has(ip)) return known;
  const parsed = parseIpUncached(ip);
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(ip, parsed);
  return parsed;
}

function parseIpUncached(ip: string): { v6: boolean; value: bigint } | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const noZone = bare.split('%')[0] ?? bare;
  if (isIPv4(noZone)) return { v6: false, value: v4ToBigInt(noZone) };
  if (isIPv6(noZone)) {
    const value = v6ToBigInt(noZone);
    if (value >> 32n === 0xffffn && (value & ~0xffffffffn) === V4_MAPPED_PREFIX) return { v6: false, value: value & 0xffffffffn };
    return { v6: true, value };
  }
  return undefined;
}

export function parseCidr(text: string): CidrBlock | undefined {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  // A mapped IPv6 block (::ffff:10.0.0.0/104) keeps its meaning as the IPv4 block it maps.
  let prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefixText !== undefined && (!/^\d{1,3}$/.test(prefixText))) return undefined;
  if (!ip.v6 && isIPv6(addr.replace(/^\[|\]$/g, '')) && prefixText !== undefined) prefix -= 96;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  const first = (ip.value >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { v6: ip.v6, first, last, text };
}

/** A set of CIDR blocks; `contains` takes an address as node:net reports it. */
export class CidrSet {
  private readonly blocks: readonly CidrBlock[];
  constructor(blocks: readonly CidrBlock[]) {
    this.blocks = blocks;
  }
  get size(): number {
    return this.blocks.length;
  }
  contains(address: string | undefined): boolean {
    if (!address || this.blocks.length === 0) return false;
    const ip = parseIp(address);
    if (!ip) return false;
    for (const b of this.blocks) if (b.v6 === ip.v6 && ip.value >= b.first && ip.value <= b.last) return true;
    return false;
  }
}
