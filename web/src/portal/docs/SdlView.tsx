// A GraphQL schema as highlighted text (the tokens from sdl.ts as spans; React escapes the text).
import { useMemo } from 'react';
import { highlightSdl } from './sdl.ts';

export function SdlView({ sdl, label }: { sdl: string; label: string }) {
  const tokens = useMemo(() => highlightSdl(sdl), [sdl]);
  return (
    <pre className="doc-source" tabIndex={0} role="region" aria-label={label}>
      <code>{tokens.map((t, i) => (t.kind === 'plain' ? t.text : <span key={i} className={`sdl-${t.kind}`}>{t.text}</span>))}</code>
    </pre>
  );
}
