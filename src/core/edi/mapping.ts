// The friendly form: one plain JSON object per transaction set / message, with the business facts
// (numbers, dates, parties, line items with quantities and prices; the 856/DESADV hierarchy).
// Read-only: the generic form is what is written back; this is for REST upstreams to consume.
import { componentOf, textOf } from './segments.ts';
import type { Delimiters, EdiInterchange, EdiSegment } from './types.ts';

type Json = Record<string, unknown>;

/** One transaction set (X12) or message (EDIFACT) of an interchange, located. */
export interface EdiUnit {
  /** 850, 856, ORDERS, DESADV... */
  readonly type: string;
  /** ST02 / UNH01. */
  readonly control: string;
  readonly group: number | undefined;
  readonly index: number;
  readonly header: EdiSegment;
  readonly segments: readonly EdiSegment[];
  /** Document position of the header (ST / UNH): the first segment of the interchange is 1. */
  readonly start: number;
}

export function unitsOf(doc: EdiInterchange): EdiUnit[] {
  const units: EdiUnit[] = [];
  if (doc.format === 'x12') {
    let n = 1; // ISA
    doc.groups.forEach((g, gi) => {
      n++; // GS
      g.transactions.forEach((t, ti) => {
        units.push({ type: textOf(t.header.elements[0]), control: textOf(t.header.elements[1]), group: gi, index: ti, header: t.header, segments: t.segments, start: n + 1 });
        n += t.segments.length + 2;
      });
      n++; // GE
    });
    return units;
  }
  let n = doc.delimiters.una === true ? 2 : 1; // UNB
  const add = (list: readonly { header: EdiSegment; segments: EdiSegment[] }[], group: number | undefined) => {
    for (const m of list) {
      units.push({ type: componentOf(m.header, 2, 1), control: textOf(m.header.elements[0]), group, index: units.length, header: m.header, segments: m.segments, start: n + 1 });
      n += m.segments.length + 2;
    }
  };
  if (doc.groups !== undefined) {
    doc.groups.forEach((g, gi) => {
      n++; // UNG
      add(g.messages, gi);
      n++; // UNE
    });
  } else {
    add(doc.messages ?? [], undefined);
  }
  return units;
}

/** Deepest HL / CPS nesting the friendly form builds: deeper documents are refused, not recursed into. */
export const MAX_HIERARCHY_DEPTH = 32;

/** A document the friendly mapping refuses (too deep a hierarchy). */
export class EdiMappingError extends Error {
  readonly segment: number;
  readonly segmentId: string;
  constructor(segment: number, segmentId: string, message: string) {
    super(message);
    this.name = 'EdiMappingError';
    this.segment = segment;
    this.segmentId = segmentId;
  }
}

/**
 * An HL (856) or CPS (DESADV) tree as it is read: nodes by their id, the roots, and each node's depth,
 * so that nesting beyond MAX_HIERARCHY_DEPTH is refused instead of built.
 */
class HierarchyBuilder {
  readonly roots: Json[] = [];
  private readonly byId = new Map<string, Json>();
  private readonly depths = new WeakMap<Json, number>();
  private readonly unit: EdiUnit;

  constructor(unit: EdiUnit) {
    this.unit = unit;
  }

  nodeOf(id: string): Json | undefined {
    return this.byId.get(id);
  }

  /** Links `node` (segment `k` of the unit) under `parent`, or as a root, and files it under `id`. */
  add(node: Json, id: string, parent: Json | undefined, k: number): void {
    const depth = parent === undefined ? 1 : (this.depths.get(parent) ?? 1) + 1;
    if (depth > MAX_HIERARCHY_DEPTH) {
      const s = this.unit.segments[k]!;
      throw new EdiMappingError(this.unit.start + 1 + k, s.id, `the hierarchy is deeper than ${MAX_HIERARCHY_DEPTH} levels`);
    }
    this.depths.set(node, depth);
    if (parent !== undefined) ((parent.children ??= []) as Json[]).push(node);
    else this.roots.push(node);
    this.byId.set(id, node);
  }
}

/** Sender and receiver as trading partners are keyed: qualifier and id (X12 ISA05/06, ISA07/08; EDIFACT UNB02, UNB03). */
export interface PartyId { readonly qualifier: string; readonly id: string }

export function partiesOf(doc: EdiInterchange): { sender: PartyId; receiver: PartyId } {
  if (doc.format === 'x12') {
    const e = doc.header.elements;
    return { sender: { qualifier: textOf(e[4]).trim(), id: textOf(e[5]).trim() }, receiver: { qualifier: textOf(e[6]).trim(), id: textOf(e[7]).trim() } };
  }
  const h = doc.header;
  return { sender: { qualifier: componentOf(h, 2, 2), id: componentOf(h, 2, 1) }, receiver: { qualifier: componentOf(h, 3, 2), id: componentOf(h, 3, 1) } };
}

export function controlNumberOf(doc: EdiInterchange): string {
  return doc.format === 'x12' ? textOf(doc.header.elements[12]) : textOf(doc.header.elements[4]);
}

const v = (s: EdiSegment, n: number, d: Delimiters): string => textOf(s.elements[n - 1], d);
const c = componentOf;
const num = (x: string): number | undefined => (x === '' || !Number.isFinite(Number(x)) ? undefined : Number(x));
function put(o: Json, key: string, value: unknown): void {
  if (value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) o[key] = value;
}

// ---- X12 ----------------------------------------------------------------------------------

function x12Party(segs: readonly EdiSegment[], k: number, d: Delimiters): { party: Json; next: number } {
  const n1 = segs[k]!;
  const party: Json = { role: v(n1, 1, d) };
  put(party, 'name', v(n1, 2, d));
  put(party, 'id_qualifier', v(n1, 3, d));
  put(party, 'id', v(n1, 4, d));
  const lines: string[] = [];
  let i = k + 1;
  for (; i < segs.length; i++) {
    const s = segs[i]!;
    if (s.id === 'N2' || s.id === 'N3') {
      for (let e = 1; e <= s.elements.length; e++) if (v(s, e, d) !== '') lines.push(v(s, e, d));
    } else if (s.id === 'N4') {
      const addr: Json = {};
      put(addr, 'city', v(s, 1, d));
      put(addr, 'state', v(s, 2, d));
      put(addr, 'postal_code', v(s, 3, d));
      put(addr, 'country', v(s, 4, d));
      party.address = addr;
    } else if (s.id !== 'PER' && s.id !== 'REF') break;
  }
  if (lines.length > 0) party.address = { lines, ...(party.address as Json | undefined) };
  return { party, next: i };
}

function x12ProductIds(s: EdiSegment, from: number, d: Delimiters): Json[] {
  const ids: Json[] = [];
  for (let e = from; e + 1 <= s.elements.length; e += 2) if (v(s, e + 1, d) !== '') ids.push({ qualifier: v(s, e, d), id: v(s, e + 1, d) });
  return ids;
}

/** References, dates and parties: the same segments in every X12 document header. */
function x12Common(s: EdiSegment, segs: readonly EdiSegment[], k: number, out: Json, d: Delimiters): number {
  if (s.id === 'REF') ((out.references ??= []) as Json[]).push({ qualifier: v(s, 1, d), value: v(s, 2, d) });
  else if (s.id === 'DTM') ((out.dates ??= []) as Json[]).push({ qualifier: v(s, 1, d), date: v(s, 2, d), ...(v(s, 3, d) ? { time: v(s, 3, d) } : {}) });
  else if (s.id === 'N1') {
    const { party, next } = x12Party(segs, k, d);
    ((out.parties ??= []) as Json[]).push(party);
    return next - 1;
  }
  return k;
}

/** PO1 (850) and IT1 (810) carry the same elements: line number, quantity, unit, unit price, then id pairs from the sixth. */
function x12LineItem(s: EdiSegment, d: Delimiters): Json {
  const item: Json = { line: v(s, 1, d) };
  put(item, 'quantity', num(v(s, 2, d)));
  put(item, 'unit', v(s, 3, d));
  put(item, 'unit_price', num(v(s, 4, d)));
  put(item, 'product_ids', x12ProductIds(s, 6, d));
  return item;
}

/** Reads one document-level segment (the beginning segment, a total) into the friendly object. */
type X12SegmentReader = (s: EdiSegment, out: Json, d: Delimiters) => void;

/**
 * 850 and 810 read alike: line items (`itemId`, each described by the PID after it), CTT, and the
 * header's REF / DTM / N1 before the first item; only their beginning and total segments differ,
 * which `readers` (keyed by segment id) take.
 */
function x12ItemDocument(u: EdiUnit, d: Delimiters, type: string, itemId: string, readers: Readonly<Record<string, X12SegmentReader>>): Json {
  const out: Json = { type };
  const items: Json[] = [];
  let item: Json | undefined;
  for (let k = 0; k < u.segments.length; k++) {
    const s = u.segments[k]!;
    if (s.id === itemId) {
      item = x12LineItem(s, d);
      items.push(item);
    } else if (s.id === 'PID' && item !== undefined) put(item, 'description', v(s, 5, d));
    else if (s.id === 'CTT') put(out, 'line_count', num(v(s, 1, d)));
    else if (Object.hasOwn(readers, s.id)) readers[s.id]!(s, out, d);
    else if (item === undefined) k = x12Common(s, u.segments, k, out, d);
  }
  out.items = items;
  return out;
}

const ORDER_READERS: Readonly<Record<string, X12SegmentReader>> = {
  BEG: (s, out, d) => {
    put(out, 'purpose', v(s, 1, d));
    put(out, 'order_type', v(s, 2, d));
    put(out, 'order_number', v(s, 3, d));
    put(out, 'order_date', v(s, 5, d));
  },
  AMT: (s, out, d) => put(out, 'total_amount', num(v(s, 2, d))),
};

const INVOICE_READERS: Readonly<Record<string, X12SegmentReader>> = {
  BIG: (s, out, d) => {
    put(out, 'invoice_date', v(s, 1, d));
    put(out, 'invoice_number', v(s, 2, d));
    put(out, 'order_date', v(s, 3, d));
    put(out, 'order_number', v(s, 4, d));
  },
  // TDS01 is an N2 amount: implied two decimals.
  TDS: (s, out, d) => put(out, 'total_amount', num(v(s, 1, d)) === undefined ? undefined : Number(v(s, 1, d)) / 100),
};

const x12Order = (u: EdiUnit, d: Delimiters): Json => x12ItemDocument(u, d, 'purchase_order', 'PO1', ORDER_READERS);
const x12Invoice = (u: EdiUnit, d: Delimiters): Json => x12ItemDocument(u, d, 'invoice', 'IT1', INVOICE_READERS);

const HL_LEVELS: Record<string, string> = { S: 'shipment', O: 'order', P: 'pack', T: 'tare', I: 'item' };

function x12ShipNotice(u: EdiUnit, d: Delimiters): Json {
  const out: Json = { type: 'ship_notice' };
  const tree = new HierarchyBuilder(u);
  let node: Json | undefined;
  for (let k = 0; k < u.segments.length; k++) {
    const s = u.segments[k]!;
    if (s.id === 'BSN') {
      put(out, 'purpose', v(s, 1, d));
      put(out, 'shipment_id', v(s, 2, d));
      put(out, 'date', v(s, 3, d));
      put(out, 'time', v(s, 4, d));
    } else if (s.id === 'HL') {
      const code = v(s, 3, d);
      node = { level: Object.hasOwn(HL_LEVELS, code) ? HL_LEVELS[code]! : code, hl: v(s, 1, d) };
      tree.add(node, v(s, 1, d), tree.nodeOf(v(s, 2, d)), k);
    } else if (node === undefined) continue;
    else if (s.id === 'PRF') {
      put(node, 'order_number', v(s, 1, d));
      put(node, 'order_date', v(s, 4, d));
    } else if (s.id === 'LIN') put(node, 'product_ids', x12ProductIds(s, 2, d));
    else if (s.id === 'SN1') {
      put(node, 'quantity', num(v(s, 2, d)));
      put(node, 'unit', v(s, 3, d));
    } else if (s.id === 'PID') put(node, 'description', v(s, 5, d));
    else if (s.id === 'MAN') put(node, 'marks', v(s, 2, d));
    else if (s.id === 'TD1') {
      put(node, 'packages', num(v(s, 2, d)));
      put(node, 'weight', num(v(s, 7, d)));
      put(node, 'weight_unit', v(s, 8, d));
    } else if (s.id === 'TD5') put(node, 'carrier', v(s, 3, d));
    else if (s.id === 'CTT') put(out, 'line_count', num(v(s, 1, d)));
    else k = x12Common(s, u.segments, k, node, d);
  }
  out.hierarchy = tree.roots;
  return out;
}

function x12Acknowledgement(u: EdiUnit, d: Delimiters): Json {
  const out: Json = { type: 'functional_acknowledgement' };
  const sets: Json[] = [];
  let set: Json | undefined;
  for (const s of u.segments) {
    if (s.id === 'AK1') out.group = { functional_id: v(s, 1, d), control_number: v(s, 2, d) };
    else if (s.id === 'AK2') {
      set = { type: v(s, 1, d), control_number: v(s, 2, d), errors: [] };
      sets.push(set);
    } else if (s.id === 'AK3' && set !== undefined) (set.errors as Json[]).push({ segment_id: v(s, 1, d), segment: num(v(s, 2, d)), code: v(s, 4, d) });
    else if (s.id === 'AK4' && set !== undefined) (set.errors as Json[]).push({ element: v(s, 1, d), code: v(s, 3, d), ...(v(s, 4, d) ? { data: v(s, 4, d) } : {}) });
    else if (s.id === 'AK5' && set !== undefined) {
      set.status = v(s, 1, d);
      const codes = s.elements.slice(1).map((e) => textOf(e)).filter((x) => x !== '');
      if (codes.length > 0) set.codes = codes;
    } else if (s.id === 'AK9') {
      out.status = v(s, 1, d);
      out.included = num(v(s, 2, d));
      out.received = num(v(s, 3, d));
      out.accepted = num(v(s, 4, d));
    }
  }
  out.transactions = sets;
  return out;
}

// ---- EDIFACT --------------------------------------------------------------------------------

function edifactParty(s: EdiSegment): Json {
  const p: Json = { role: c(s, 1, 1) };
  put(p, 'id', c(s, 2, 1));
  put(p, 'id_agency', c(s, 2, 3));
  const name = [1, 2, 3, 4, 5].map((k) => c(s, 4, k)).filter((x) => x !== '').join(' ') || [1, 2, 3, 4, 5].map((k) => c(s, 3, k)).filter((x) => x !== '').join(' ');
  put(p, 'name', name);
  const addr: Json = {};
  put(addr, 'lines', [1, 2, 3, 4].map((k) => c(s, 5, k)).filter((x) => x !== ''));
  put(addr, 'city', c(s, 6, 1));
  put(addr, 'region', c(s, 7, 1));
  put(addr, 'postal_code', c(s, 8, 1));
  put(addr, 'country', c(s, 9, 1));
  if (Object.keys(addr).length > 0) p.address = addr;
  return p;
}

/** ORDERS, INVOIC and DESADV share their header and line segments. */
function edifactCommercial(u: EdiUnit, type: string): Json {
  const out: Json = { type };
  const items: Json[] = [];
  const tree = new HierarchyBuilder(u);
  let item: Json | undefined;
  let level: Json | undefined;
  for (let k = 0; k < u.segments.length; k++) {
    const s = u.segments[k]!;
    if (s.id === 'BGM') {
      put(out, 'document_code', c(s, 1, 1));
      put(out, 'document_number', c(s, 2, 1));
      put(out, 'function', c(s, 3, 1));
    } else if (s.id === 'DTM') {
      const dt = { qualifier: c(s, 1, 1), date: c(s, 1, 2), ...(c(s, 1, 3) ? { format: c(s, 1, 3) } : {}) };
      ((((item ?? level ?? out).dates) ??= []) as Json[]).push(dt);
    } else if (s.id === 'RFF') ((((item ?? out).references) ??= []) as Json[]).push({ qualifier: c(s, 1, 1), value: c(s, 1, 2) });
    else if (s.id === 'NAD') ((out.parties ??= []) as Json[]).push(edifactParty(s));
    else if (s.id === 'CUX') put(out, 'currency', c(s, 1, 2));
    else if (s.id === 'CPS') {
      const parent = tree.nodeOf(c(s, 2, 1));
      // CPS03 (packaging level code) is optional: the top level is the shipment, the rest packs.
      level = { level: c(s, 3, 1) || (parent === undefined ? 'shipment' : 'pack'), id: c(s, 1, 1) };
      tree.add(level, c(s, 1, 1), parent, k);
      item = undefined;
    } else if (s.id === 'PAC' && level !== undefined) {
      put(level, 'packages', num(c(s, 1, 1)));
      put(level, 'package_type', c(s, 3, 1));
    } else if (s.id === 'LIN') {
      item = { line: c(s, 1, 1) };
      const id = c(s, 3, 1);
      if (id !== '') item.product_ids = [{ qualifier: c(s, 3, 2), id }];
      if (level !== undefined) ((level.items ??= []) as Json[]).push(item);
      else items.push(item);
    } else if (item !== undefined && s.id === 'PIA') ((item.product_ids ??= []) as Json[]).push({ qualifier: c(s, 2, 2), id: c(s, 2, 1) });
    else if (item !== undefined && s.id === 'IMD') {
      if (item.description === undefined) put(item, 'description', c(s, 3, 4)); // the first one names the item
    }
    else if (item !== undefined && s.id === 'QTY') {
      const q = { qualifier: c(s, 1, 1), quantity: num(c(s, 1, 2)), ...(c(s, 1, 3) ? { unit: c(s, 1, 3) } : {}) };
      ((item.quantities ??= []) as Json[]).push(q);
      // 21 ordered, 47 invoiced, 12 despatched: the quantity the document is about.
      if (item.quantity === undefined && ['21', '47', '12', '1'].includes(q.qualifier)) {
        put(item, 'quantity', q.quantity);
        put(item, 'unit', q.unit);
      }
    } else if (item !== undefined && s.id === 'PRI') put(item, 'unit_price', num(c(s, 1, 2)));
    else if (s.id === 'MOA') {
      const m = { qualifier: c(s, 1, 1), amount: num(c(s, 1, 2)) };
      ((((item ?? out).amounts) ??= []) as Json[]).push(m);
    } else if (s.id === 'UNS') item = undefined;
    else if (s.id === 'CNT') put(out, 'line_count', num(c(s, 1, 2)));
  }
  if (tree.roots.length > 0) out.hierarchy = tree.roots;
  if (items.length > 0 || tree.roots.length === 0) out.items = items;
  return out;
}

function edifactControl(u: EdiUnit): Json {
  const out: Json = { type: 'control' };
  const messages: Json[] = [];
  let current: Json | undefined;
  for (const s of u.segments) {
    if (s.id === 'UCI') {
      out.interchange = { reference: c(s, 1, 1), sender: c(s, 2, 1), recipient: c(s, 3, 1), action: c(s, 4, 1) };
      if (c(s, 5, 1) !== '') (out.interchange as Json).error = { code: c(s, 5, 1), segment_id: c(s, 6, 1), element: c(s, 7, 1) };
    } else if (s.id === 'UCM') {
      current = { reference: c(s, 1, 1), type: c(s, 2, 1), action: c(s, 3, 1), errors: [] };
      if (c(s, 4, 1) !== '') (current.errors as Json[]).push({ code: c(s, 4, 1), segment_id: c(s, 5, 1), element: c(s, 6, 1) });
      messages.push(current);
    } else if (s.id === 'UCS' && current !== undefined) (current.errors as Json[]).push({ segment: num(c(s, 1, 1)), code: c(s, 2, 1) });
    else if (s.id === 'UCD' && current !== undefined) (current.errors as Json[]).push({ element: c(s, 2, 1), code: c(s, 1, 1) });
  }
  out.messages = messages;
  return out;
}

const X12_MAPPERS: Record<string, (u: EdiUnit, d: Delimiters) => Json> = { 850: x12Order, 810: x12Invoice, 856: x12ShipNotice, 997: x12Acknowledgement };
const EDIFACT_MAPPERS: Record<string, (u: EdiUnit) => Json> = {
  ORDERS: (u) => edifactCommercial(u, 'purchase_order'),
  INVOIC: (u) => edifactCommercial(u, 'invoice'),
  DESADV: (u) => edifactCommercial(u, 'ship_notice'),
  CONTRL: edifactControl,
};

/** Document types with a friendly mapping. */
export const MAPPED_TYPES: readonly string[] = [...Object.keys(X12_MAPPERS), ...Object.keys(EDIFACT_MAPPERS)];

/** The friendly form of one unit, or undefined when its type has no mapping. */
export function friendlyOf(doc: EdiInterchange, u: EdiUnit): Json | undefined {
  const base = { document_type: u.type, control_number: u.control };
  if (doc.format === 'x12') {
    const m = Object.hasOwn(X12_MAPPERS, u.type) ? X12_MAPPERS[u.type] : undefined; // the type is client data
    return m === undefined ? undefined : { ...base, ...m(u, doc.delimiters) };
  }
  const m = Object.hasOwn(EDIFACT_MAPPERS, u.type) ? EDIFACT_MAPPERS[u.type] : undefined;
  return m === undefined ? undefined : { ...base, ...m(u) };
}
