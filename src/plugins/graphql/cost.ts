// What the graphql plugin leaves on a request for other plugins: rate-limiting and quota with
// `cost: graphql` count an operation's cost instead of 1. Kept apart from plugin.ts so that the
// limiters do not load graphql-js.
import type { RequestContext } from '../../core/pipeline/context.ts';

/** `ctx.vars.graphql`: the operation the graphql plugin allowed. */
export interface GraphqlFacts {
  readonly operation: string | undefined;
  readonly type: 'query' | 'mutation' | 'subscription';
  readonly cost: number;
}

/** The cost a limiter counts for a request (at least 1), or undefined when no operation was measured. */
export function graphqlCostOf(ctx: RequestContext): number | undefined {
  const facts = ctx.vars.graphql as GraphqlFacts | undefined;
  return facts === undefined ? undefined : Math.max(1, facts.cost);
}

/** The weight a limiter with `cost: graphql` counts: the operation's cost, or 1 for any other request. */
export function requestWeight(ctx: RequestContext, byCost: boolean): number {
  return byCost ? (graphqlCostOf(ctx) ?? 1) : 1;
}
