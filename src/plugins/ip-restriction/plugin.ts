import { CidrSet, parseCidr, type CidrBlock } from '../../core/net/cidr.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { IpRestrictionSchema, type IpRestrictionConfig } from './schema.ts';

export interface CompiledIpRestriction {
  readonly allow: CidrSet;
  readonly deny: CidrSet;
  readonly detail: string | undefined;
}

export function compileIpRestriction(c: IpRestrictionConfig): CompiledIpRestriction | string {
  if (c.allow.length === 0 && c.deny.length === 0) return 'needs at least one "allow" or "deny" entry';
  const parse = (list: readonly string[], field: string): CidrBlock[] | string => {
    const out: CidrBlock[] = [];
    for (const [i, text] of list.entries()) {
      const block = parseCidr(text);
      if (!block) return `${field}[${i}] "${text}" is not an IPv4 or IPv6 address or CIDR block`;
      out.push(block);
    }
    return out;
  };
  const allow = parse(c.allow, 'allow');
  if (typeof allow === 'string') return allow;
  const deny = parse(c.deny, 'deny');
  if (typeof deny === 'string') return deny;
  return { allow: new CidrSet(allow), deny: new CidrSet(deny), detail: c.message };
}

export function isAllowed(ip: string, c: CompiledIpRestriction): boolean {
  if (c.deny.contains(ip)) return false;
  return c.allow.size === 0 || c.allow.contains(ip);
}

export const ipRestriction = definePlugin<typeof IpRestrictionSchema, CompiledIpRestriction>({
  name: 'ip-restriction',
  version: '1.0.0',
  description: 'Allows or denies clients by IPv4/IPv6 address or CIDR block.',
  priority: 3000,
  configSchema: IpRestrictionSchema,
  compile: compileIpRestriction,
  handlers: {
    access(ctx, conf) {
      if (!isAllowed(ctx.clientIp, conf)) return { problem: 'forbidden', detail: conf.detail ?? 'Your IP address is not allowed.' };
      return undefined;
    },
  },
});
