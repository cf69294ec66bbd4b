// Runs one phase's steps. Synchronous steps cost a loop iteration; the first step that returns
// a promise moves the rest of the chain onto the async path.
import type { PluginResponse, RequestContext, UpstreamFailureView } from './context.ts';
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

/**
 * Runs the `response-body` steps over a buffered body, each seeing the previous one's output;
 * returns the rewritten body, or undefined when no step changed it.
 */
export function runBodyPhase(steps: readonly Step[], ctx: RequestContext, body: Buffer): Buffer | undefined {
  let current = body;
  let changed = false;
  for (const step of steps) {
    let out: Buffer | undefined;
    try {
      out = step.run(ctx, step.conf, current) as Buffer | undefined;
    } catch (err) {
      throw new PluginFailure(step.name, err);
    }
    if (out !== undefined) { current = out; changed = true; }
  }
  return changed ? current : undefined;
}

/**
 * Runs the `upstream-error` hooks (the upstream could not answer at all): the first that returns
 * a response answers instead of the gateway's problem.
 */
export function runUpstreamErrorHooks(steps: readonly Step[], ctx: RequestContext, failure: UpstreamFailureView): PluginResponse | undefined {
  for (const step of steps) {
    let outcome: PluginResponse | undefined;
    try {
      outcome = step.run(ctx, step.conf, failure) as PluginResponse | undefined;
    } catch (err) {
      throw new PluginFailure(step.name, err);
    }
    if (outcome !== undefined) return outcome;
  }
  return undefined;
}
