import Type, { type Static } from 'typebox';

const Group = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' });

export const AclSchema = Type.Object({
  allow: Type.Array(Group, { default: [], maxItems: 256, uniqueItems: true, description: 'Consumers in any of these groups may pass (empty: anyone not denied).' }),
  deny: Type.Array(Group, { default: [], maxItems: 256, uniqueItems: true, description: 'Consumers in any of these groups are refused (checked first).' }),
  hide_groups_header: Type.Boolean({ default: false, description: 'Do not send X-Consumer-Groups upstream.' }),
}, { additionalProperties: false });

export type AclConfig = Static<typeof AclSchema>;
