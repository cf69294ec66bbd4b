// Advance ship notices: the carrier's REST side of the EDI demo. A shop's X12 856 reaches
// Portcullis at POST /edi/asn; the gateway's edi plugin checks it and forwards its canonical JSON
// here (docs/edi.md, "Friendly form"), and answers the shop with a 997. The carrier keeps each
// notice (in memory) so that the parcels it announces can be expected at pickup.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody } from './body.ts';
import { CarrierProblem, sendJson, type FieldError } from './problem.ts';

/** One HL level of an 856 as the gateway forwards it: shipment → order → pack → item. */
interface Level {
  level?: unknown;
  order_number?: unknown;
  marks?: unknown;
  quantity?: unknown;
  description?: unknown;
  children?: unknown;
}

export interface ShipNotice {
  notice_id: string;
  partner: string;
  shipment_id: string;
  ship_date: string | undefined;
  orders: string[];
  packages: number;
  items: { description: string; quantity: number }[];
  received_at: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Walks the HL tree: the orders it names, its packs, its item lines. */
function summarise(levels: unknown[], into: { orders: string[]; packages: number; items: ShipNotice['items'] }): void {
  for (const raw of levels) {
    if (!isObject(raw)) continue;
    const l = raw as Level;
    if (l.level === 'order' && typeof l.order_number === 'string') into.orders.push(l.order_number);
    if (l.level === 'pack') into.packages++;
    if (l.level === 'item') into.items.push({ description: typeof l.description === 'string' ? l.description : '', quantity: typeof l.quantity === 'number' ? l.quantity : 0 });
    if (Array.isArray(l.children)) summarise(l.children, into);
  }
}

export class ShipNotices {
  readonly #notices = new Map<string, ShipNotice>();
  #next = 1;
  readonly #now: () => number;
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Stores the 856 documents of one forwarded interchange; 422 when it holds none. */
  add(body: unknown): ShipNotice[] {
    const errors: FieldError[] = [];
    if (!isObject(body)) throw new CarrierProblem('validation', { errors: [{ pointer: '', message: 'must be an object' }] });
    if (typeof body.partner !== 'string') errors.push({ pointer: '/partner', message: 'must be the trading partner (set by the gateway)' });
    if (!Array.isArray(body.documents)) errors.push({ pointer: '/documents', message: 'must be the friendly documents (edi plugin forward: friendly or both)' });
    const documents = Array.isArray(body.documents) ? body.documents : [];
    documents.forEach((d, i) => {
      if (!isObject(d) || d.document_type !== '856') errors.push({ pointer: `/documents/${i}/document_type`, message: 'only 856 ship notices are accepted here' });
      else if (typeof d.shipment_id !== 'string') errors.push({ pointer: `/documents/${i}/shipment_id`, message: 'is required (BSN02)' });
    });
    if (documents.length === 0 && Array.isArray(body.documents)) errors.push({ pointer: '/documents', message: 'must not be empty' });
    if (errors.length > 0) throw new CarrierProblem('validation', { errors });
    return documents.map((d) => {
      const doc = d as Record<string, unknown>;
      const summary = { orders: [] as string[], packages: 0, items: [] as ShipNotice['items'] };
      summarise(Array.isArray(doc.hierarchy) ? doc.hierarchy : [], summary);
      const notice: ShipNotice = {
        notice_id: `asn_${String(this.#next++).padStart(8, '0')}`,
        partner: String(body.partner),
        shipment_id: String(doc.shipment_id),
        ship_date: typeof doc.date === 'string' ? doc.date : undefined,
        ...summary,
        received_at: new Date(this.#now()).toISOString(),
      };
      this.#notices.set(notice.notice_id, notice);
      return notice;
    });
  }

  get(id: string): ShipNotice | undefined {
    return this.#notices.get(id);
  }
}

/** POST /asn: the gateway's JSON for one interchange → 201 with the notices stored. */
export async function postAsn(req: IncomingMessage, res: ServerResponse, notices: ShipNotices): Promise<void> {
  const stored = notices.add(await readJsonBody(req));
  sendJson(res, 201, { notices: stored });
}

/** GET /asn/{notice_id}. */
export function getAsn(res: ServerResponse, id: string, notices: ShipNotices): void {
  const notice = notices.get(id);
  if (notice === undefined) throw new CarrierProblem('not-found', { detail: 'No ship notice exists with this identifier.' });
  sendJson(res, 200, notice);
}
