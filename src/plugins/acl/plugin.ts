// acl: allow or deny consumer groups. Runs after the authentication plugins (priority 950), so the
// consumer is known; a request with none is refused as unauthenticated, an anonymous consumer is
// judged by its own groups like any other.
import { removeHeader } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { AclSchema, type AclConfig } from './schema.ts';

interface CompiledAcl {
  readonly allow: ReadonlySet<string>;
  readonly deny: ReadonlySet<string>;
  readonly hideGroups: boolean;
}

export function aclAllows(groups: readonly string[], conf: CompiledAcl): boolean {
  if (groups.some((g) => conf.deny.has(g))) return false;
  return conf.allow.size === 0 || groups.some((g) => conf.allow.has(g));
}

export const acl = definePlugin<typeof AclSchema, CompiledAcl>({
  name: 'acl',
  version: '1.0.0',
  description: 'Allows or denies consumers by group; needs an authentication plugin before it.',
  priority: 950,
  configSchema: AclSchema,
  compile: (c: AclConfig) => (c.allow.length === 0 && c.deny.length === 0 ? 'needs at least one "allow" or "deny" group' : { allow: new Set(c.allow), deny: new Set(c.deny), hideGroups: c.hide_groups_header }),
  handlers: {
    access(ctx, conf) {
      const consumer = ctx.consumer;
      if (consumer === undefined) return { problem: 'unauthorized', headers: { 'www-authenticate': 'Key realm="portcullis"' } };
      if (conf.hideGroups) removeHeader(ctx.upstream.headers, 'x-consumer-groups');
      if (!aclAllows(consumer.groups ?? [], conf)) return { problem: 'forbidden' };
      return undefined;
    },
  },
});
