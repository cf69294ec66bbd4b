// portcullis_graphql_operations_total{service, operation, outcome}. Operation names come from
// clients, so the label is bounded: each service keeps its first MAX_NAMES distinct names and
// counts the rest as "(other)"; unnamed operations are "(anonymous)", requests refused before an
// operation is known are "(unknown)". Names are GraphQL names (parsed), never free text.
import { graphqlOperationCost, graphqlOperations } from '../../telemetry/metrics.ts';

export const MAX_NAMES = 100;
/** Longer names count as "(other)" too: the cap on distinct names should also bound their size. */
const MAX_NAME_LENGTH = 100;
const namesByService = new Map<string, Set<string>>();

export function operationLabel(service: string, name: string | undefined): string {
  if (name === undefined) return '(anonymous)';
  if (name.length > MAX_NAME_LENGTH) return '(other)';
  let names = namesByService.get(service);
  if (names === undefined) namesByService.set(service, (names = new Set()));
  if (names.has(name)) return name;
  if (names.size >= MAX_NAMES) return '(other)';
  names.add(name);
  return name;
}

// Label children resolved once (prom-client hashes the label values on every labels() call).
// Bounded: names per service are capped above, outcomes are a fixed set of codes.
const counters = new Map<string, ReturnType<typeof graphqlOperations.labels>>();
const costs = new Map<string, ReturnType<typeof graphqlOperationCost.labels>>();

export function countOperation(service: string, operation: string, outcome: string, cost?: number): void {
  const key = `${service}\u0000${operation}\u0000${outcome}`;
  let c = counters.get(key);
  if (c === undefined) counters.set(key, (c = graphqlOperations.labels(service, operation, outcome)));
  c.inc();
  if (cost === undefined) return;
  let h = costs.get(service);
  if (h === undefined) costs.set(service, (h = graphqlOperationCost.labels(service)));
  h.observe(cost);
}
