// JSON Schemas (TypeBox) of the friendly form: what mapping.ts produces per document type. The
// mappers are tested against them, and docs/edi-schema.json is generated from them and schema.ts.
import Type from 'typebox';

const S = Type.String();
const N = Type.Number();
const opt = Type.Optional;

const Reference = Type.Object({ qualifier: S, value: S }, { additionalProperties: false });
const DateRef = Type.Object({ qualifier: S, date: S, time: opt(S), format: opt(S) }, { additionalProperties: false });
const ProductId = Type.Object({ qualifier: S, id: S }, { additionalProperties: false });
const Amount = Type.Object({ qualifier: S, amount: opt(N) }, { additionalProperties: false });
const Quantity = Type.Object({ qualifier: S, quantity: opt(N), unit: opt(S) }, { additionalProperties: false });

export const PartySchema = Type.Object({
  role: Type.String({ description: 'N101 / NAD01: BY buyer, SU/SE supplier, ST ship-to, SF ship-from…' }),
  name: opt(S), id: opt(S), id_qualifier: opt(S), id_agency: opt(S),
  address: opt(Type.Object({ lines: opt(Type.Array(S)), city: opt(S), state: opt(S), region: opt(S), postal_code: opt(S), country: opt(S) }, { additionalProperties: false })),
}, { additionalProperties: false });

export const LineItemSchema = Type.Object({
  line: Type.String({ description: 'PO101 / IT101 / LIN01' }),
  quantity: opt(N), unit: opt(S), unit_price: opt(N),
  product_ids: opt(Type.Array(ProductId)), description: opt(S),
  quantities: opt(Type.Array(Quantity)), amounts: opt(Type.Array(Amount)),
  references: opt(Type.Array(Reference)), dates: opt(Type.Array(DateRef)),
}, { additionalProperties: false });

const Base = {
  document_type: Type.String({ description: 'ST01 / UNH02.1' }),
  control_number: Type.String({ description: 'ST02 / UNH01' }),
};
const Header = {
  references: opt(Type.Array(Reference)), dates: opt(Type.Array(DateRef)), parties: opt(Type.Array(PartySchema)),
  document_code: opt(S), document_number: opt(S), function: opt(S), currency: opt(S),
  amounts: opt(Type.Array(Amount)), line_count: opt(N), total_amount: opt(N),
};

export const PurchaseOrderSchema = Type.Object({
  ...Base, ...Header, type: Type.Literal('purchase_order'),
  purpose: opt(S), order_type: opt(S), order_number: opt(S), order_date: opt(S),
  items: Type.Array(LineItemSchema),
}, { additionalProperties: false, description: 'X12 850 or EDIFACT ORDERS.' });

export const InvoiceSchema = Type.Object({
  ...Base, ...Header, type: Type.Literal('invoice'),
  invoice_number: opt(S), invoice_date: opt(S), order_number: opt(S), order_date: opt(S),
  items: Type.Array(LineItemSchema),
}, { additionalProperties: false, description: 'X12 810 or EDIFACT INVOIC.' });

/** One level of the 856 HL / DESADV CPS hierarchy, with the levels below it. */
export const ShipmentLevelSchema = Type.Cyclic({
  Level: Type.Object({
    level: Type.String({ description: 'shipment, order, pack, tare, item (HL03 / CPS03), or the code as sent' }),
    hl: opt(S), id: opt(S),
    order_number: opt(S), order_date: opt(S), marks: opt(S),
    product_ids: opt(Type.Array(ProductId)), quantity: opt(N), unit: opt(S), description: opt(S),
    packages: opt(N), package_type: opt(S), weight: opt(N), weight_unit: opt(S), carrier: opt(S),
    references: opt(Type.Array(Reference)), dates: opt(Type.Array(DateRef)), parties: opt(Type.Array(PartySchema)),
    items: opt(Type.Array(LineItemSchema)),
    children: opt(Type.Array(Type.Ref('Level'))),
  }, { additionalProperties: false }),
}, 'Level');

export const ShipNoticeSchema = Type.Object({
  ...Base, ...Header, type: Type.Literal('ship_notice'),
  purpose: opt(S), shipment_id: opt(S), date: opt(S), time: opt(S),
  hierarchy: opt(Type.Array(ShipmentLevelSchema)),
  items: opt(Type.Array(LineItemSchema)),
}, { additionalProperties: false, description: 'X12 856 or EDIFACT DESADV.' });

export const FunctionalAckSchema = Type.Object({
  ...Base, type: Type.Literal('functional_acknowledgement'),
  group: opt(Type.Object({ functional_id: S, control_number: S }, { additionalProperties: false })),
  status: opt(Type.String({ description: 'AK901: A accepted, P partially, R rejected, E accepted with errors' })),
  included: opt(N), received: opt(N), accepted: opt(N),
  transactions: Type.Array(Type.Object({
    type: S, control_number: S, status: opt(S), codes: opt(Type.Array(S)),
    errors: Type.Array(Type.Union([
      Type.Object({ segment_id: S, segment: opt(N), code: S }, { additionalProperties: false }),
      Type.Object({ element: S, code: S, data: opt(S) }, { additionalProperties: false }),
    ])),
  }, { additionalProperties: false })),
}, { additionalProperties: false, description: 'X12 997.' });

const ControlError = Type.Object({ code: S, segment_id: opt(S), element: opt(S), segment: opt(N) }, { additionalProperties: false });
export const ControlSchema = Type.Object({
  ...Base, type: Type.Literal('control'),
  interchange: opt(Type.Object({ reference: S, sender: S, recipient: S, action: Type.String({ description: '7 accepted, 4 rejected' }), error: opt(ControlError) }, { additionalProperties: false })),
  messages: Type.Array(Type.Object({ reference: S, type: S, action: S, errors: Type.Array(ControlError) }, { additionalProperties: false })),
}, { additionalProperties: false, description: 'EDIFACT CONTRL.' });

export const FriendlyDocumentSchema = Type.Union([PurchaseOrderSchema, InvoiceSchema, ShipNoticeSchema, FunctionalAckSchema, ControlSchema]);
