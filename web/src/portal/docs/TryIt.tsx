// Try it: one real request from the browser straight to the gateway with one of the user's keys.
// Keys are shown once when created, so the user pastes one; it is remembered in sessionStorage
// (gone with the tab), never in localStorage. The gateway must allow the portal's origin (CORS)
// and the page's CSP must allow the gateway's URL (connect-src): see docs/web.md.
import { useMemo, useState } from 'react';
import { Button } from '../../ui/Button.tsx';
import { SelectField, TextField } from '../../ui/Field.tsx';
import { parseHeaderLines, prettyBody, requestUrl, type Operation } from './documents.ts';

const KEY_STORAGE = 'portcullis.portal.try-key';

interface Result {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly headers: [string, string][];
  readonly body: string;
  readonly ms: number;
}

export function TryIt({ operations, gatewayUrl, basePath = '' }: { operations: readonly Operation[]; gatewayUrl: string | undefined; basePath?: string }) {
  const [index, setIndex] = useState('0');
  const [base, setBase] = useState(basePath);
  const op = operations[Number(index)];
  const [params, setParams] = useState<Record<string, string>>({});
  const [query, setQuery] = useState('');
  const [headerText, setHeaderText] = useState('');
  const [body, setBody] = useState('');
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [keyHeader, setKeyHeader] = useState('apikey');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | undefined>();
  const [error, setError] = useState<string | undefined>();
  const options = useMemo(() => operations.map((o, i) => ({ value: String(i), label: `${o.method} ${o.path}${o.summary ? ` — ${o.summary}` : ''}` })), [operations]);

  if (operations.length === 0) return <p>This document has no operations to try.</p>;
  if (!gatewayUrl) return <p>Trying calls is not available: the portal does not know the gateway's address (PORTCULLIS_PORTAL_GATEWAY_URL).</p>;
  if (!op) return null;

  const rememberKey = (v: string) => {
    setKey(v);
    if (v) sessionStorage.setItem(KEY_STORAGE, v);
    else sessionStorage.removeItem(KEY_STORAGE);
  };
  const pickOperation = (v: string) => {
    setIndex(v);
    setResult(undefined);
    setError(undefined);
    const next = operations[Number(v)];
    if (next) setQuery(next.query.filter((q) => q.required).map((q) => `${q.name}=`).join('&'));
  };
  const send = async () => {
    const { headers, bad } = parseHeaderLines(headerText);
    if (bad.length > 0) { setError(`Not a header line (use "Name: value"): ${bad.join(', ')}`); return; }
    const sendsBody = op.hasBody && body.trim() !== '' && op.method !== 'GET' && op.method !== 'HEAD';
    if (sendsBody) {
      try { JSON.parse(body); } catch (err) { setError(`The body is not valid JSON: ${(err as Error).message}`); return; }
    }
    const init: RequestInit = { method: op.method, headers: new Headers(headers), credentials: 'omit', redirect: 'manual', cache: 'no-store' };
    const h = init.headers as Headers;
    if (key) h.set(keyHeader, key);
    if (sendsBody) { h.set('content-type', 'application/json'); init.body = body; }
    const url = requestUrl(gatewayUrl.replace(/\/+$/, '') + base.trim().replace(/\/+$/, ''), op.path, params, query);
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    const started = performance.now();
    try {
      const res = await fetch(url, init);
      const text = await res.text();
      const ms = Math.round(performance.now() - started);
      setResult({ url, status: res.status, statusText: res.statusText, headers: [...res.headers.entries()], body: prettyBody(text, res.headers.get('content-type')), ms });
    } catch {
      // A fetch that fails outright tells scripts nothing more (CORS hides it on purpose).
      setError(`The request to ${url} failed before an answer arrived: the gateway is unreachable, or it does not allow this portal's origin (CORS).`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="try-it" aria-labelledby="try-it-title">
      <h2 id="try-it-title">Try it</h2>
      <p className="hint">Sends a real request from your browser to <span className="try-it-url">{gatewayUrl}</span> with your application's key. Calls count against your plan.</p>
      <div className="try-it-grid">
        <form className="card" aria-label="Request" onSubmit={(e) => { e.preventDefault(); void send(); }}>
          <SelectField label="Operation" value={index} onChange={pickOperation} options={options} />
          <TextField label="Base path" value={base} onChange={setBase} placeholder="/orders-api" hint="Where this API sits on the gateway, in front of the operation's path (from the document's first server URL)." />
          {op.pathParams.map((p) => (
            <TextField key={`${index}-${p}`} label={`Path parameter ${p}`} required value={params[p] ?? ''} onChange={(v) => setParams((old) => ({ ...old, [p]: v }))} />
          ))}
          <TextField label="Query string" value={query} onChange={setQuery} placeholder="limit=10&status=open" hint={op.query.length > 0 ? `Declared: ${op.query.map((q) => q.name + (q.required ? ' (required)' : '')).join(', ')}` : undefined} />
          <TextField label="API key" type="password" autoComplete="off" value={key} onChange={rememberKey} hint="Paste one of your application's keys. It is kept for this tab only (sessionStorage)." />
          <TextField label="Key header" value={keyHeader} onChange={setKeyHeader} hint="Where the gateway reads the key (key-auth default: apikey)." />
          <TextField label="Headers" multiline value={headerText} onChange={setHeaderText} placeholder="Accept: application/json" hint="One per line, Name: value." />
          {op.hasBody ? <TextField label="JSON body" multiline value={body} onChange={setBody} placeholder='{"name": "value"}' /> : null}
          {error ? <div className="form-errors" role="alert">{error}</div> : null}
          <Button type="submit" variant="primary" busy={busy}>Send request</Button>
        </form>
        <div className="card try-it-response" aria-live="polite">
          <h3>Response</h3>
          {result ? (
            <>
              <div className="try-it-status">
                <strong data-testid="try-status">{`${result.status} ${result.statusText}`.trim()}</strong>
                <span>{`${result.ms} ms`}</span>
              </div>
              <p className="try-it-url">{`${op.method} ${result.url}`}</p>
              <h4>Headers</h4>
              <pre tabIndex={0} aria-label="Response headers">{result.headers.map(([n, v]) => `${n}: ${v}`).join('\n') || '(none readable: the gateway exposes only CORS-safelisted headers)'}</pre>
              <h4>Body</h4>
              <pre tabIndex={0} aria-label="Response body" data-testid="try-body">{result.body || '(empty)'}</pre>
            </>
          ) : <p>{busy ? 'Waiting for the answer…' : 'No request sent yet.'}</p>}
        </div>
      </div>
    </section>
  );
}
