// Runs one phase's steps. Synchronous steps cost a loop iteration; the first step that returns
// a promise moves the rest of the chain onto the async path.
import type { PluginResponse, RequestContext } from './context.ts';
import type { Step } from './compile.ts';

export type PhaseOutcome = PluginResponse | undefined;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Error raised when a plugin throws; carries the plugin name for the error log. */
export class PluginFailure extends Error {
  readonly plugin: string;
  constructor(plugin: string, cause: unknown) {
    super(`plugin ${plugin} failed`, { cause });
    this.name = 'PluginFailure';
    this.plugin = plugin;
  }
}

/** Runs steps[from, end) (end defaults to the whole phase). */
export function runPhase(steps: readonly Step[], ctx: RequestContext, from = 0, end = steps.length): PhaseOutcome | Promise<PhaseOutcome> {
  for (let i = from; i < end; i++) {
    const step = steps[i]!;
    let result: unknown;
    try {
      result = step.run(ctx, step.conf);
    } catch (err) {
      throw new PluginFailure(step.name, err);
    }
    if (result === undefined) continue;
    if (isThenable(result)) return continueAsync(result, steps, i, ctx, end);
    return result as PluginResponse;
  }
  return undefined;
}

async function continueAsync(pending: PromiseLike<unknown>, steps: readonly Step[], index: number, ctx: RequestContext, end: number): Promise<PhaseOutcome> {
  let result: unknown;
  try {
    result = await pending;
  } catch (err) {
    throw new PluginFailure(steps[index]!.name, err);
  }
  if (result !== undefined) return result as PluginResponse;
  return runPhase(steps, ctx, index + 1, end);
}

/** Runs the `log` steps; a failing log step is reported and never affects the others. */
export function runLogPhase(steps: readonly Step[], ctx: RequestContext, onError: (plugin: string, err: unknown) => void): void {
  for (const step of steps) {
    try {
      step.run(ctx, step.conf);
    } catch (err) {
      onError(step.name, err);
    }
  }
}
