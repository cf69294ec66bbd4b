// Counts each interchange the plugin decides on. Label children are made once per route and
// outcome (a bounded set: formats and outcomes are ours, never the client's), then cached.
import type { Counter } from 'prom-client';
import { ediInterchanges } from '../../telemetry/metrics.ts';

export type EdiOutcome = 'forwarded' | 'invalid' | 'not_allowed' | 'unsupported_media_type' | 'unavailable';
export type EdiFormatLabel = 'x12' | 'edifact' | 'unknown';

export type CountOutcome = (format: EdiFormatLabel, outcome: EdiOutcome) => void;

export function outcomeCounter(route: string, direction: 'inbound' | 'outbound'): CountOutcome {
  const children = new Map<string, Counter.Internal>();
  return (format, outcome) => {
    const key = `${format}:${outcome}`;
    let c = children.get(key);
    if (c === undefined) {
      c = ediInterchanges.labels(route, direction, format, outcome);
      children.set(key, c);
    }
    c.inc();
  };
}
