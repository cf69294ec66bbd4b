// Deliveries were written in this process: the workers of this process claim them now instead of
// at their next poll. (Across processes Postgres NOTIFY does the same; SQLite workers poll.)
const listeners = new Set<() => void>();

export function onDeliveriesDue(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function announceDeliveriesDue(): void {
  for (const l of listeners) l();
}
