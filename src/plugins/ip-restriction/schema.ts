import Type, { type Static } from 'typebox';

export const IpRestrictionSchema = Type.Object({
  allow: Type.Array(Type.String({ maxLength: 64 }), { default: [], description: 'CIDRs or addresses allowed; empty means all not denied.' }),
  deny: Type.Array(Type.String({ maxLength: 64 }), { default: [], description: 'CIDRs or addresses denied; deny wins over allow.' }),
  message: Type.Optional(Type.String({ maxLength: 512, description: 'Detail sent with the 403.' })),
}, { additionalProperties: false });

export type IpRestrictionConfig = Static<typeof IpRestrictionSchema>;
