// The in-memory shipment store and the simulated tracking timeline. Nothing is persisted: a
// restart forgets every label, which is what a demo upstream wants.
import type { Quote, Service } from './rates.ts';
import type { LabelRequest } from './validate.ts';

export const TRACKING_STATUSES = ['label_created', 'in_transit', 'out_for_delivery', 'delivered'] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Always answers on GET /tracking, so the quickstart has a number that works before any label exists. */
export const DEMO_TRACKING_NUMBER = 'PC0000000001';

export interface Label {
  label_id: string;
  tracking_number: string;
  service: Service;
  amount: number;
  currency: 'EUR';
  label_url: string;
  created_at: string;
}

export interface TrackingEvent {
  at: string;
  status: TrackingStatus;
  location: string;
}

export interface Tracking {
  tracking_number: string;
  status: TrackingStatus;
  events: TrackingEvent[];
}

interface Shipment {
  label: Label;
  request: LabelRequest;
  createdMs: number;
}

export interface StoreOptions {
  /** Injected so tests can move time instead of sleeping. */
  now?: () => number;
  /** How long each tracking status lasts before the next one; 30 s lets a demo watch it move. */
  stepMs?: number;
  /** Oldest labels are forgotten past this, so a load test cannot grow the heap without bound. */
  capacity?: number;
}

const DEMO_REQUEST: LabelRequest = {
  service: 'ground',
  from: { postal_code: '10115', country: 'DE' },
  to: { postal_code: '80331', country: 'DE' },
  parcels: [{ weight_kg: 1, length_cm: 30, width_cm: 20, height_cm: 10 }],
};

export class ShipmentStore {
  /** How long each tracking status lasts (the event publisher knows when to look again). */
  readonly stepMs: number;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly byLabel = new Map<string, Shipment>();
  private readonly byTracking = new Map<string, Shipment>();
  private readonly startedMs: number;
  // 1 is the demo shipment's number, so real labels start at PC0000000002.
  private seq = 1;

  constructor(opts: StoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.stepMs = opts.stepMs ?? 30_000;
    this.capacity = opts.capacity ?? 10_000;
    this.startedMs = this.now();
  }

  create(request: LabelRequest, quote: Quote): Label {
    this.seq += 1;
    const createdMs = this.now();
    const label_id = `lbl_${String(this.seq).padStart(8, '0')}`;
    const label: Label = {
      label_id,
      tracking_number: `PC${String(this.seq).padStart(10, '0')}`,
      service: request.service,
      amount: quote.amount,
      currency: quote.currency,
      label_url: `/labels/${label_id}.pdf`,
      created_at: new Date(createdMs).toISOString(),
    };
    const shipment: Shipment = { label, request, createdMs };
    this.byLabel.set(label.label_id, shipment);
    this.byTracking.set(label.tracking_number, shipment);
    if (this.byLabel.size > this.capacity) this.evictOldest();
    return label;
  }

  label(id: string): Label | undefined {
    return this.byLabel.get(id)?.label;
  }

  /** The shipment's addresses too, for the printable label. */
  shipment(id: string): { label: Label; request: LabelRequest } | undefined {
    return this.byLabel.get(id);
  }

  tracking(trackingNumber: string): Tracking | undefined {
    const now = this.now();
    if (trackingNumber === DEMO_TRACKING_NUMBER) {
      // The demo parcel starts its journey again once delivered, so it is always moving.
      const cycle = this.stepMs * TRACKING_STATUSES.length;
      const elapsed = Math.max(0, now - this.startedMs);
      const createdMs = this.startedMs + Math.floor(elapsed / cycle) * cycle;
      return timeline(DEMO_TRACKING_NUMBER, DEMO_REQUEST, createdMs, now, this.stepMs);
    }
    const shipment = this.byTracking.get(trackingNumber);
    if (!shipment) return undefined;
    return timeline(trackingNumber, shipment.request, shipment.createdMs, now, this.stepMs);
  }

  private evictOldest(): void {
    // Maps iterate in insertion order, so the first key is the oldest label.
    const oldest = this.byLabel.values().next().value;
    if (!oldest) return;
    this.byLabel.delete(oldest.label.label_id);
    this.byTracking.delete(oldest.label.tracking_number);
  }
}

function locationOf(status: TrackingStatus, request: LabelRequest): string {
  const { from, to } = request;
  switch (status) {
    case 'label_created': return `${from.postal_code}, ${from.country}`;
    case 'in_transit': return `Sorting hub, ${from.country}`;
    case 'out_for_delivery':
    case 'delivered': return `${to.postal_code}, ${to.country}`;
  }
}

/** One status per elapsed step, oldest event first; a clock that went backwards shows the first step. */
function timeline(trackingNumber: string, request: LabelRequest, createdMs: number, now: number, stepMs: number): Tracking {
  const reached = Math.min(TRACKING_STATUSES.length - 1, Math.max(0, Math.floor((now - createdMs) / stepMs)));
  const events = TRACKING_STATUSES.slice(0, reached + 1).map((status, i) => ({
    at: new Date(createdMs + i * stepMs).toISOString(),
    status,
    location: locationOf(status, request),
  }));
  return { tracking_number: trackingNumber, status: TRACKING_STATUSES[reached] ?? 'label_created', events };
}
