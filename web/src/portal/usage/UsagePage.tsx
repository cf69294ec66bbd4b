// Usage: the team's calls, errors and latency over time per application and API (hour/day/month),
// each chart with its numbers in a table, the quota of each subscription, and a CSV download.
import { useState } from 'react';
import { call, portal } from '../../api/portal.ts';
import type { components } from '../../api/portal.gen/index.ts';
import { useAsync } from '../../console/useAsync.ts';
import { SelectField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { DataTable } from '../../ui/Table.tsx';
import { usePortalSession } from '../session.tsx';
import { Legend, Lines, StackedBars } from './Chart.tsx';
import './usage.css';

type Point = components['schemas']['PortalUsagePoint'];
type Grain = 'hour' | 'day' | 'month';
const GRAINS: { id: Grain; label: string }[] = [{ id: 'hour', label: 'Hour' }, { id: 'day', label: 'Day' }, { id: 'month', label: 'Month' }];

const bucketLabel = (g: Grain, iso: string) => (g === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : g === 'day' ? iso.slice(5, 10) : iso.slice(0, 7));
const fmt = (n: number | undefined) => (n === undefined ? '–' : n.toLocaleString('en-US'));

export default function UsagePage() {
  const { team } = usePortalSession();
  const [grain, setGrain] = useState<Grain>('day');
  const [app, setApp] = useState('');
  const [service, setService] = useState('');
  const teamId = team?.id ?? '';
  const apps = useAsync(async () => (teamId ? (await call(portal.GET('/portal/api/teams/{team}/apps', { params: { path: { team: teamId } } }))).data : []), [teamId]);
  const query = { granularity: grain, ...(app ? { app } : {}), ...(service ? { service } : {}) };
  const series = useAsync(async () => (teamId ? call(portal.GET('/portal/api/teams/{team}/usage', { params: { path: { team: teamId }, query } })) : undefined), [teamId, grain, app, service]);
  const quotas = useAsync(async () => (teamId ? (await call(portal.GET('/portal/api/teams/{team}/quotas', { params: { path: { team: teamId } } }))).data : []), [teamId]);

  if (!team) return <div className="container section"><h1>Usage</h1><p>You are not in a team yet.</p></div>;
  const points: readonly Point[] = series.data?.points ?? [];
  const labels = points.map((p) => bucketLabel(grain, p.start));
  const total = points.reduce((n, p) => n + p.calls, 0);
  const errors = points.reduce((n, p) => n + p.errors_4xx + p.errors_5xx, 0);
  const csvParams = new URLSearchParams({ ...query, format: 'csv' });
  const callSeries = [
    { name: 'Successful and other', className: 'chart-ok', values: points.map((p) => p.calls - p.errors_4xx - p.errors_5xx) },
    { name: 'Client errors (4xx)', className: 'chart-4xx', values: points.map((p) => p.errors_4xx) },
    { name: 'Server errors (5xx)', className: 'chart-5xx', values: points.map((p) => p.errors_5xx) },
  ];
  const latencySeries = [
    { name: 'p50', className: 'chart-p50', values: points.map((p) => p.latency_p50_ms ?? Number.NaN) },
    { name: 'p95', className: 'chart-p95', values: points.map((p) => p.latency_p95_ms ?? Number.NaN) },
    { name: 'p99', className: 'chart-p99', values: points.map((p) => p.latency_p99_ms ?? Number.NaN) },
  ];
  const maxP95 = Math.max(0, ...points.map((p) => p.latency_p95_ms ?? 0));

  return (
    <div className="container section">
      <h1>Usage</h1>
      <p>Calls of <strong>{team.name}</strong>’s applications. Times are UTC; the latest hour may lag about a minute.</p>
      <div className="usage-controls">
        <fieldset>
          <legend>Granularity</legend>
          <div className="segmented">
            {GRAINS.map((g) => (
              <label key={g.id}><input type="radio" name="granularity" value={g.id} checked={grain === g.id} onChange={() => setGrain(g.id)} /><span>{g.label}</span></label>
            ))}
          </div>
        </fieldset>
        <SelectField label="Application" value={app} onChange={setApp} options={[{ value: '', label: 'All applications' }, ...(apps.data ?? []).map((a) => ({ value: a.id, label: a.name }))]} />
        <SelectField label="API" value={service} onChange={setService} options={[{ value: '', label: 'All APIs' }, ...[...new Set([...(series.data?.services ?? []), ...(service ? [service] : [])])].map((s) => ({ value: s, label: s }))]} />
        <a className="btn" href={`/portal/api/teams/${encodeURIComponent(teamId)}/usage?${csvParams.toString()}`} download>Download CSV</a>
      </div>

      <section aria-labelledby="traffic" aria-busy={series.loading}>
        <h2 id="traffic">Traffic</h2>
        {series.error ? <p role="alert" className="error">{series.error}</p>
          : series.loading && !series.data ? <Spinner label="Loading usage" />
            : points.length === 0 ? <p>No calls in this range yet.</p>
              : (
                <>
                  <p><strong>{fmt(total)}</strong> calls, <strong>{fmt(errors)}</strong> errors.</p>
                  <div className="usage-charts">
                    <figure>
                      <figcaption>Calls per {grain}</figcaption>
                      <StackedBars title={`Calls per ${grain}`} summary={`${fmt(total)} calls in ${points.length} ${grain}s, ${fmt(errors)} of them errors.`} labels={labels} series={callSeries} />
                      <Legend series={callSeries} />
                    </figure>
                    <figure>
                      <figcaption>Latency per {grain} (ms)</figcaption>
                      <Lines title={`Latency per ${grain}`} summary={`Highest 95th percentile: ${fmt(maxP95)} ms.`} labels={labels} series={latencySeries} unit=" ms" />
                      <Legend series={latencySeries} />
                    </figure>
                  </div>
                  <details className="data-table">
                    <summary>The numbers as a table</summary>
                    <DataTable caption="Usage per bucket" rows={points} rowKey={(p) => p.start} empty="No calls." columns={[
                      { key: 'start', header: 'Start (UTC)', render: (p) => p.start.slice(0, 16).replace('T', ' ') },
                      { key: 'calls', header: 'Calls', render: (p) => fmt(p.calls) },
                      { key: '4xx', header: '4xx', render: (p) => fmt(p.errors_4xx) },
                      { key: '5xx', header: '5xx', render: (p) => fmt(p.errors_5xx) },
                      { key: 'p50', header: 'p50 ms', render: (p) => fmt(p.latency_p50_ms) },
                      { key: 'p95', header: 'p95 ms', render: (p) => fmt(p.latency_p95_ms) },
                      { key: 'p99', header: 'p99 ms', render: (p) => fmt(p.latency_p99_ms) },
                    ]} />
                  </details>
                </>
              )}
      </section>

      <section aria-labelledby="quotas" className="section">
        <h2 id="quotas">Quotas this period</h2>
        {quotas.error ? <p role="alert" className="error">{quotas.error}</p>
          : quotas.loading && !quotas.data ? <Spinner label="Loading quotas" />
            : (quotas.data ?? []).length === 0 ? <p>None of your subscriptions has a quota.</p>
              : (
                <ul className="quota-list">
                  {quotas.data!.map((q) => (
                    <li key={q.subscription} className="card">
                      <div className="quota-name">{q.app.name} · {q.product} / {q.plan}</div>
                      <progress max={q.limit} value={Math.min(q.used, q.limit)} aria-label={`${q.app.name}, ${q.product} ${q.plan}: quota used`} />
                      <div>{fmt(q.used)} of {fmt(q.limit)} calls this {q.period} · resets {new Date(q.resets_at).toLocaleString('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' })} UTC</div>
                    </li>
                  ))}
                </ul>
              )}
      </section>
    </div>
  );
}
