// docs/edi-schema.json: the canonical JSON shapes as one JSON Schema (2020-12) document, generated
// from the TypeBox schemas (schema.ts, friendly-schema.ts). `npx node src/core/edi/schema-doc.ts --write`
// rewrites it; edi-schema-doc.test.ts fails when it drifts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FriendlyDocumentSchema, LineItemSchema, PartySchema, ShipmentLevelSchema } from './friendly-schema.ts';
import { EdiElementSchema, EdiInterchangeSchema, EdiSegmentSchema, OutboundDocumentsSchema } from './schema.ts';

export const SCHEMA_DOC = fileURLToPath(new URL('../../../docs/edi-schema.json', import.meta.url));
const LEVEL_REF = { $ref: '#/$defs/ShipmentLevel' };
/** Schemas used in many places, written once under $defs and referred to. */
const SHARED = new Map<unknown, string>([[EdiSegmentSchema, 'Segment'], [EdiElementSchema, 'Element'], [LineItemSchema, 'LineItem'], [PartySchema, 'Party']]);

/** TypeBox schemas as plain JSON Schema: internal `~` keys dropped, shared parts and the cyclic level as $defs entries. */
function plain(schema: unknown, self?: unknown): unknown {
  return JSON.parse(JSON.stringify(schema, (key, value: unknown) => {
    if (key.startsWith('~') || key === '$id') return undefined;
    if (value === ShipmentLevelSchema) return LEVEL_REF;
    if (value !== self && SHARED.has(value)) return { $ref: `#/$defs/${SHARED.get(value)!}` };
    if (value !== null && typeof value === 'object' && (value as { $ref?: unknown }).$ref === 'Level') return LEVEL_REF;
    return value;
  }));
}

export function schemaDocument(): string {
  const level = plain((ShipmentLevelSchema as unknown as { $defs: { Level: unknown } }).$defs.Level);
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Portcullis EDI canonical JSON',
    description: 'The generic (lossless) form of an X12 or EDIFACT interchange, the outbound document list, and the friendly per-document forms. See docs/edi.md. Generated from src/core/edi/schema.ts and friendly-schema.ts.',
    $defs: {
      Interchange: plain(EdiInterchangeSchema),
      OutboundDocuments: plain(OutboundDocumentsSchema),
      FriendlyDocument: plain(FriendlyDocumentSchema),
      ShipmentLevel: level,
      ...Object.fromEntries([...SHARED].map(([schema, name]) => [name, plain(schema, schema)])),
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    writeFileSync(SCHEMA_DOC, schemaDocument());
    console.log(`wrote ${SCHEMA_DOC}`);
  } else {
    process.stdout.write(schemaDocument());
  }
}

/** The file as committed (for the drift test). */
export const committedSchemaDocument = (): string => readFileSync(SCHEMA_DOC, 'utf8');
