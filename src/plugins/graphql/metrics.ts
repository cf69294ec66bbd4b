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

export function countOperation(service: string, operation: string, outcome: string, cost?: number): void {
  graphqlOperations.labels(service, operation, outcome).inc();
  if (cost !== undefined) graphqlOperationCost.labels(service).observe(cost);
}
