// portcullis_soap_requests_total series, resolved once per (operation, outcome) and kept per
// plugin instance: the per-request cost is two map lookups, no label objects. Operations are the
// service's declared ones (never client text), outcomes a closed set: bounded cardinality.
import { soapRequests } from '../../telemetry/metrics.ts';

type Series = ReturnType<typeof soapRequests.with>;

export class SoapCounts {
  readonly #service: string;
  readonly #series = new Map<string, Map<string, Series>>();

  constructor(service: string) {
    this.#service = service;
  }

  count(operation: string, outcome: string): void {
    let byOutcome = this.#series.get(operation);
    if (byOutcome === undefined) this.#series.set(operation, byOutcome = new Map());
    let s = byOutcome.get(outcome);
    if (s === undefined) byOutcome.set(outcome, s = soapRequests.with({ service: this.#service, operation, outcome }));
    s.inc();
  }
}
