// The RateLimit-Policy and RateLimit fields of the IETF httpapi draft
// (draft-ietf-httpapi-ratelimit-headers-09): Structured Field lists with one item per policy,
//   RateLimit-Policy: "minute";q=100;w=60, "day";q=10000;w=86400
//   RateLimit: "minute";r=42;t=17, "day";r=9876;t=3600
// q: requests allowed per window, w: window in seconds, r: remaining, t: seconds until reset.
import type { RateWindow, WindowState } from '../../store/counters/ports.ts';

export interface NamedWindow extends RateWindow {
  readonly name: string;
}

export function policyField(windows: readonly NamedWindow[]): string {
  return windows.map((w) => `"${w.name}";q=${w.limit};w=${w.seconds}`).join(', ');
}

export function stateField(windows: readonly NamedWindow[], states: readonly WindowState[]): string {
  let out = '';
  for (let i = 0; i < windows.length; i++) {
    const s = states[i]!;
    out += `${i === 0 ? '' : ', '}"${windows[i]!.name}";r=${s.remaining};t=${s.resetSeconds}`;
  }
  return out;
}

