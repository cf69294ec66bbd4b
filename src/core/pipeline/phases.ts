// The closed list of request phases, in the order they run (DESIGN.md §4).
export const PHASES = ['rewrite', 'access', 'upstream-request', 'upstream-response', 'response-body', 'log'] as const;
export type Phase = (typeof PHASES)[number];

/** Where a plugin instance can be attached. Later issues add consumer and plan scopes. */
export const SCOPES = ['global', 'service', 'route'] as const;
export type Scope = (typeof SCOPES)[number];
