// A small GraphQL SDL highlighter: the text split into tokens with a kind, rendered as spans by
// the docs page (React escapes the text; no HTML is built from the document).

export type TokenKind = 'comment' | 'string' | 'keyword' | 'type' | 'directive' | 'punct' | 'plain';
export interface Token { readonly kind: TokenKind; readonly text: string }

const KEYWORDS = new Set(['type', 'interface', 'union', 'enum', 'input', 'scalar', 'schema', 'extend', 'implements', 'directive', 'on', 'query', 'mutation', 'subscription', 'repeatable', 'fragment']);

// Order matters: block strings before strings, comments before everything they could contain.
const PATTERN = /("""[\s\S]*?(?:"""|$))|("(?:[^"\\\n]|\\.)*"?)|(#[^\n]*)|(@[_A-Za-z][_0-9A-Za-z]*)|([_A-Za-z][_0-9A-Za-z]*)|([{}()[\]:=!|&,]+)|(\s+|.)/g;

export function highlightSdl(sdl: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text: string) => {
    const last = tokens.at(-1);
    if (last && last.kind === kind) tokens[tokens.length - 1] = { kind, text: last.text + text };
    else tokens.push({ kind, text });
  };
  for (const m of sdl.matchAll(PATTERN)) {
    if (m[1] !== undefined || m[2] !== undefined) push('string', m[0]);
    else if (m[3] !== undefined) push('comment', m[0]);
    else if (m[4] !== undefined) push('directive', m[0]);
    else if (m[5] !== undefined) push(KEYWORDS.has(m[5]) ? 'keyword' : /^[A-Z]/.test(m[5]) ? 'type' : 'plain', m[0]);
    else if (m[6] !== undefined) push('punct', m[0]);
    else push('plain', m[0]);
  }
  return tokens;
}
