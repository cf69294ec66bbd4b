// Places in a spec, written the way a person reads the file: `paths./labels.post.parameters[0].in`.
// Path keys keep their slashes, so this reads better than a JSON pointer (`/paths/~1labels/post`).

export type Json = Readonly<Record<string, unknown>>;

export const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `/paths/~1labels/post` (or `#/paths/...`) → ["paths", "/labels", "post"]. */
export function pointerTokens(pointer: string): string[] {
  const body = pointer.replace(/^#/, '');
  if (body === '' || body === '/') return [];
  return body.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Array positions come out as `[0]`; the document is consulted to tell them from keys like "200". */
export function locate(root: unknown, tokens: readonly string[]): string {
  let out = '';
  let node = root;
  for (const token of tokens) {
    if (Array.isArray(node) && /^\d+$/.test(token)) out += `[${token}]`;
    else out += out === '' ? token : `.${token}`;
    node = node !== null && typeof node === 'object' ? (node as Json)[token] : undefined;
  }
  return out === '' ? '(document)' : out;
}

/** A location one key deeper, without consulting a document (for places built during planning). */
export const child = (location: string, key: string) => (location === '' ? key : `${location}.${key}`);
