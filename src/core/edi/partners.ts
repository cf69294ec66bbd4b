// Trading partners as the gateway uses them: checked across the config (unique identities, routes
// that exist) and indexed by interchange identity once per snapshot, so a request finds its
// partner with one map lookup.
import type { TradingPartner } from '../entities/schemas.ts';
import type { PartyId } from './mapping.ts';

export interface PartnerIssue { readonly pointer: string; readonly message: string }

/** Identity key of a sender or receiver: the syntax, qualifier and id (ids compared trimmed, case-sensitive). */
export function partyKey(format: 'x12' | 'edifact', p: PartyId): string {
  return `${format}\u0000${p.qualifier.trim()}\u0000${p.id.trim()}`;
}

export function partnerKeys(p: TradingPartner): string[] {
  const keys: string[] = [];
  if (p.x12 !== undefined) keys.push(partyKey('x12', p.x12));
  if (p.edifact !== undefined) keys.push(partyKey('edifact', { qualifier: p.edifact.qualifier ?? '', id: p.edifact.id }));
  return keys;
}

/** Names and identities unique; routes and consumers named must exist. */
export function tradingPartnerIssues(partners: readonly TradingPartner[], routeNames: ReadonlySet<string>, consumerNames: ReadonlySet<string>): PartnerIssue[] {
  const issues: PartnerIssue[] = [];
  const names = new Set<string>();
  const owners = new Map<string, string>();
  partners.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string') return;
    if (names.has(p.name)) issues.push({ pointer: `/trading_partners/${i}/name`, message: `duplicate trading partner name "${p.name}"` });
    names.add(p.name);
    if (p.x12 === undefined && p.edifact === undefined) issues.push({ pointer: `/trading_partners/${i}`, message: 'needs an x12 or an edifact identity' });
    for (const key of partnerKeys(p)) {
      const other = owners.get(key);
      if (other !== undefined) issues.push({ pointer: `/trading_partners/${i}`, message: `has the same interchange identity as trading partner "${other}"` });
      else owners.set(key, p.name);
    }
    if (typeof p.consumer === 'string' && !consumerNames.has(p.consumer)) issues.push({ pointer: `/trading_partners/${i}/consumer`, message: `no consumer is named "${p.consumer}"` });
    (Array.isArray(p.routes) ? p.routes : []).forEach((r, j) => {
      if (!routeNames.has(r)) issues.push({ pointer: `/trading_partners/${i}/routes/${j}`, message: `no route is named "${r}"` });
    });
  });
  return issues;
}
