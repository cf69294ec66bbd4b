// The roles a node can run (DESIGN.md §1): the data plane, the control plane, and the worker
// (webhook delivery, platform events, clean-up).
export const ROLES = ['gateway', 'admin', 'worker'] as const;
export type Role = (typeof ROLES)[number];
