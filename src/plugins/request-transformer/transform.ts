import type { RequestContext } from '../../core/pipeline/context.ts';
import { editHeaders, editQuery, hasEdits, lowerCaseHeaderEdits, type MapEdits } from '../shared/edits.ts';
import type { RequestTransformerConfig } from './schema.ts';

export interface CompiledRequestTransformer {
  readonly headers: MapEdits | undefined;
  readonly query: MapEdits | undefined;
  /** Upstream path template split on {param}: even indexes literal, odd indexes parameter names. */
  readonly uri: readonly string[] | undefined;
}

export function compileRequestTransformer(c: RequestTransformerConfig): CompiledRequestTransformer | string {
  const headers = lowerCaseHeaderEdits({ remove: c.remove.headers, rename: c.rename.headers, replace: c.replace.headers, add: c.add.headers, append: c.append.headers });
  const query: MapEdits = { remove: c.remove.querystring, rename: c.rename.querystring, replace: c.replace.querystring, add: c.add.querystring, append: c.append.querystring };
  const uri = c.replace.uri?.split(/\{([A-Za-z_][A-Za-z0-9_]*)\}/);
  return { headers: hasEdits(headers) ? headers : undefined, query: hasEdits(query) ? query : undefined, uri };
}

export function transformRequest(ctx: RequestContext, t: CompiledRequestTransformer): void {
  const up = ctx.upstream;
  if (t.headers) editHeaders(up.headers, t.headers);
  if (t.query) up.query = editQuery(up.query, t.query);
  if (t.uri) {
    let path = '';
    for (let i = 0; i < t.uri.length; i++) path += i % 2 === 0 ? t.uri[i] : (ctx.params[t.uri[i]!] ?? '');
    up.path = path;
  }
}
