// The IETF httpapi RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the quota is one named
// policy, "quota", beside the rate-limiting plugin's; each plugin appends its items to the list
// fields (appendAnswerField) rather than replacing them.
import type { CalendarPeriod } from '../../core/quota/periods.ts';

/** Nominal window of each period, in seconds (the policy's `w`; the real reset is in `t`). */
const WINDOW_SECONDS: Record<CalendarPeriod, number> = { day: 86_400, month: 2_592_000 };

export function policyItem(limit: number, period: CalendarPeriod): string {
  return `"quota";q=${limit};w=${WINDOW_SECONDS[period]}`;
}

export function stateItem(remaining: number, resetSeconds: number): string {
  return `"quota";r=${remaining};t=${resetSeconds}`;
}

/** Seconds until `resetsAt` (at least 1: the period has not ended while it is being reported). */
export function secondsUntil(resetsAt: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetsAt - nowMs) / 1000));
}

