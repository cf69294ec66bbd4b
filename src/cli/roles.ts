// The roles a node can run (DESIGN.md §1); the worker role arrives with webhooks.
export const ROLES = ['gateway', 'admin'] as const;
export type Role = (typeof ROLES)[number];
