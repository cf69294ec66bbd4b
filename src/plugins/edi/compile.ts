// The edi plugin's config, compiled once per snapshot: the trading partners allowed on this route,
// indexed by interchange identity (inbound) and by name (outbound).
import type { Static } from 'typebox';
import type { TradingPartner } from '../../core/entities/schemas.ts';
import type { PartyId } from '../../core/edi/mapping.ts';
import { partnerKeys } from '../../core/edi/partners.ts';
import type { PluginCompileEnv } from '../../core/pipeline/plugin.ts';
import type { EdiSchema } from './schema.ts';
import { outcomeCounter, type CountOutcome } from './metrics.ts';

export type AckMode = 'always' | 'on-error' | 'never';

export interface Partner {
  readonly name: string;
  readonly types: ReadonlySet<string>;
  readonly ack: AckMode;
  /** The consumer requests must be authenticated as, if the partner names one. */
  readonly consumer: string | undefined;
  readonly x12: PartyId | undefined;
  readonly edifact: PartyId | undefined;
}

export interface EdiConf {
  readonly direction: 'inbound' | 'outbound';
  readonly byIdentity: ReadonlyMap<string, Partner>;
  readonly byName: ReadonlyMap<string, Partner>;
  /** Types this route takes; undefined: any the partner may send. */
  readonly routeTypes: ReadonlySet<string> | undefined;
  readonly identity: { readonly x12: PartyId | undefined; readonly edifact: PartyId | undefined };
  readonly forward: 'both' | 'friendly' | 'generic';
  readonly ack: 'partner' | AckMode;
  readonly convertResponse: boolean;
  readonly test: boolean;
  readonly maxBodyBytes: number;
  /** Counts the outcome of each interchange (portcullis_edi_interchanges_total). */
  readonly count: CountOutcome;
}

export function compileEdi(c: Static<typeof EdiSchema>, env: PluginCompileEnv): EdiConf | string {
  const route = env.attachedTo?.scope === 'route' ? env.attachedTo.name : undefined;
  if (route === undefined) return 'the edi plugin is attached to routes (trading partners name the routes they may use)';
  if (c.direction === 'outbound' && c.identity.x12 === undefined && c.identity.edifact === undefined) {
    return 'an outbound route needs identity.x12 or identity.edifact: the sender written into the envelopes';
  }
  const byIdentity = new Map<string, Partner>();
  const byName = new Map<string, Partner>();
  for (const p of env.tradingPartners ?? []) {
    if (!p.enabled || !p.routes.includes(route)) continue;
    const partner = toPartner(p);
    byName.set(p.name, partner);
    for (const key of partnerKeys(p)) byIdentity.set(key, partner);
  }
  return {
    direction: c.direction,
    byIdentity, byName,
    routeTypes: c.document_types.length > 0 ? new Set(c.document_types) : undefined,
    identity: { x12: c.identity.x12, edifact: c.identity.edifact === undefined ? undefined : { id: c.identity.edifact.id, qualifier: c.identity.edifact.qualifier ?? '' } },
    forward: c.forward,
    ack: c.acknowledgement,
    convertResponse: c.convert_response,
    test: c.test,
    maxBodyBytes: c.max_body_bytes,
    count: outcomeCounter(route, c.direction),
  };
}

function toPartner(p: TradingPartner): Partner {
  return {
    name: p.name,
    types: new Set(p.document_types),
    ack: p.acknowledgement,
    consumer: p.consumer,
    x12: p.x12,
    edifact: p.edifact === undefined ? undefined : { id: p.edifact.id, qualifier: p.edifact.qualifier ?? '' },
  };
}

/** The media type of a Content-Type value, lower-case, without parameters. */
export function mediaTypeOf(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return '';
  const semi = v.indexOf(';');
  return (semi === -1 ? v : v.slice(0, semi)).trim().toLowerCase();
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * EDI bytes as text: UTF-8 when they are valid UTF-8 (UNOY, or ASCII; a BOM is dropped), else
 * Latin-1 (UNOB/UNOC), byte for byte. Whitespace some senders put before ISA/UNA/UNB is skipped.
 */
export function decodeEdi(body: Buffer): string {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    text = body.toString('latin1');
  }
  let start = 0;
  while (start < text.length && start < 64 && (text[start] === ' ' || text[start] === '\r' || text[start] === '\n' || text[start] === '\t')) start++;
  return start === 0 ? text : text.slice(start);
}

/**
 * True when JSON from a client or an upstream nests deeper than `max` (checked without recursion):
 * the canonical forms are shallow, and deep nesting would only cost stack in the steps after.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** The generic form nests 10 levels (interchange → groups → transactions → segments → elements → repeats → components). */
export const MAX_JSON_DEPTH = 12;
