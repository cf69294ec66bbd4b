// Node readiness, the config version it serves, and how many of each entity there are.
import { Link } from '../../router.tsx';
import { Badge } from '../../ui/Badge.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { KINDS, listEntities, type Collection } from '../entities.ts';
import { useAsync } from '../useAsync.ts';

interface Readiness { ready: boolean; status: string; config_version?: string; config_source?: string; config_revision?: number; last_reload?: { at: string; ok: boolean } }

// /ready is the node's probe, not part of the admin API document: read with a plain fetch.
async function readiness(): Promise<Readiness> {
  const r = await fetch('/ready', { headers: { accept: 'application/json' } });
  return (await r.json()) as Readiness;
}

async function counts(): Promise<Record<Collection, string>> {
  const entries = await Promise.all((Object.keys(KINDS) as Collection[]).map(async (c) => {
    const page = await listEntities(c, { limit: 1000 });
    return [c, `${page.data.length}${page.next_cursor ? '+' : ''}`] as const;
  }));
  return Object.fromEntries(entries) as Record<Collection, string>;
}

export function Dashboard() {
  const ready = useAsync(readiness, []);
  const count = useAsync(counts, []);
  return (
    <>
      <section aria-labelledby="node-heading" className="card section">
        <h2 id="node-heading">This node</h2>
        {ready.error ? <p role="alert">Readiness unknown: {ready.error}</p> : !ready.data ? <Spinner label="Loading readiness" /> : (
          <dl className="grid">
            <div><dt className="stat-label">Status</dt><dd><Badge tone={ready.data.ready ? 'success' : 'warning'}>{ready.data.ready ? 'ready' : ready.data.status}</Badge></dd></div>
            <div><dt className="stat-label">Config version</dt><dd className="mono wrap">{ready.data.config_version ?? '—'}</dd></div>
            <div><dt className="stat-label">Config source</dt><dd>{ready.data.config_source ?? '—'}{ready.data.config_revision !== undefined ? ` (revision ${ready.data.config_revision})` : ''}</dd></div>
            <div><dt className="stat-label">Last reload</dt><dd>{ready.data.last_reload ? `${new Date(ready.data.last_reload.at).toLocaleString()} ${ready.data.last_reload.ok ? '' : '(failed)'}` : '—'}</dd></div>
          </dl>
        )}
      </section>
      <section aria-labelledby="counts-heading">
        <h2 id="counts-heading">Configuration</h2>
        {count.error ? <p role="alert">{count.error}</p> : (
          <div className="grid">
            {(Object.keys(KINDS) as Collection[]).map((c) => (
              <Link key={c} href={`/console/${c}`} className="card">
                <div className="stat">{count.data?.[c] ?? '…'}</div>
                <div className="stat-label">{KINDS[c].title}</div>
              </Link>
            ))}
          </div>
        )}
      </section>
    </>
  );
}
