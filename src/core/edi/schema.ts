// JSON Schemas (TypeBox) of the canonical JSON: the generic, lossless form of an interchange (what
// the gateway forwards and what it writes back to EDI) and the outbound request (documents the
// gateway envelopes itself). docs/edi.md shows them with examples.
import Type, { type Static } from 'typebox';

const Char = Type.String({ minLength: 1, maxLength: 1 });
const Value = Type.String({ maxLength: 100_000 });
const Composite = Type.Array(Value, { minItems: 1, maxItems: 100 });

export const EdiElementSchema = Type.Union([
  Value,
  Composite,
  Type.Object({ repeat: Type.Array(Type.Union([Value, Composite]), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
], { description: 'A simple value, a composite (its components), or a repeated element.' });

export const EdiSegmentSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Z0-9]{2,3}$', description: 'Segment tag.' }),
  elements: Type.Array(EdiElementSchema, { maxItems: 1000 }),
  gap: Type.Optional(Type.String({ pattern: '^[\\r\\n]*$', maxLength: 16, description: 'Line breaks after this segment when they differ from the document\u2019s.' })),
}, { additionalProperties: false });

const Segments = Type.Array(EdiSegmentSchema, { maxItems: 1_000_000 });

export const DelimitersSchema = Type.Object({
  element: Char, component: Char, segment: Char,
  repetition: Type.Optional(Char), release: Type.Optional(Char), decimal: Type.Optional(Char), una: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const Gap = Type.String({ pattern: '^[\\r\\n]*$', maxLength: 16, description: 'Line breaks written after every segment terminator.' });
const Unit = Type.Object({ header: EdiSegmentSchema, segments: Segments, trailer: EdiSegmentSchema }, { additionalProperties: false });

export const X12InterchangeSchema = Type.Object({
  format: Type.Literal('x12'),
  delimiters: DelimitersSchema,
  gap: Gap,
  header: EdiSegmentSchema,
  groups: Type.Array(Type.Object({ header: EdiSegmentSchema, transactions: Type.Array(Unit), trailer: EdiSegmentSchema }, { additionalProperties: false })),
  trailer: EdiSegmentSchema,
}, { additionalProperties: false, description: 'An X12 interchange: ISA, groups (GS/GE) of transaction sets (ST/SE), IEA.' });

export const EdifactInterchangeSchema = Type.Object({
  format: Type.Literal('edifact'),
  delimiters: DelimitersSchema,
  gap: Gap,
  una_gap: Type.Optional(Gap),
  header: EdiSegmentSchema,
  groups: Type.Optional(Type.Array(Type.Object({ header: EdiSegmentSchema, messages: Type.Array(Unit), trailer: EdiSegmentSchema }, { additionalProperties: false }))),
  messages: Type.Optional(Type.Array(Unit)),
  trailer: EdiSegmentSchema,
}, { additionalProperties: false, description: 'An EDIFACT interchange: [UNA] UNB, messages (UNH/UNT) or groups of them (UNG/UNE), UNZ.' });

export const EdiInterchangeSchema = Type.Union([X12InterchangeSchema, EdifactInterchangeSchema]);

/** What an outbound route accepts besides a whole interchange: documents the gateway envelopes. */
export const OutboundDocumentsSchema = Type.Object({
  partner: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'The trading partner it goes to.' }),
  format: Type.Optional(Type.Union([Type.Literal('x12'), Type.Literal('edifact')], { description: 'Default: x12 when the partner has an X12 identity.' })),
  documents: Type.Array(Type.Object({
    type: Type.String({ pattern: '^([0-9]{3}|[A-Z]{6})$', description: 'Transaction set id (856) or message type (DESADV).' }),
    functional_id: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'X12 GS01; known for 810 (IN), 850 (PO), 855 (PR), 856 (SH), 997 (FA).' })),
    version: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,3}:[A-Z0-9]{1,3}:[A-Z0-9]{1,3}$', description: 'EDIFACT message version, default D:96A:UN.' })),
    segments: Type.Array(EdiSegmentSchema, { minItems: 1, maxItems: 1_000_000, description: 'The segments between ST and SE (UNH and UNT).' }),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 10_000 }),
}, { additionalProperties: false });

export type OutboundDocuments = Static<typeof OutboundDocumentsSchema>;
