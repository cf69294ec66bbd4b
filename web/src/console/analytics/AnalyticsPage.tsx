// Analytics dashboards: traffic over time, error rates, latency percentiles, top consumers and
// allowances near their quota, for a time range and granularity and optional service, route and
// consumer filters, all from the admin analytics API (docs/analytics.md). Charts are drawn here in
// SVG (no chart library in the bundle) and each one has its data table.
import { useMemo, useState } from 'react';
import { admin, call } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Link } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { SelectField } from '../../ui/Field.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { listEntities } from '../entities.ts';
import { useAsync } from '../useAsync.ts';
import { LineChart } from './LineChart.tsx';
import {
  bucketLabel, fillBuckets, formatBytes, formatCount, formatMs, formatPercent, GRANULARITY_LABEL, percent, RANGES, rangeById, totalsOf, type Granularity, type Point,
} from './series.ts';
import './analytics.css';

type ConsumerUsage = components['schemas']['ConsumerUsage'];
type NearLimit = components['schemas']['QuotaNearLimit'];

interface Filters { range: string; granularity: Granularity; service: string; route: string; consumer: string }

const ALL = { value: '', label: 'All' };

/** The names of a collection for a filter's options (the first 1000: filters, not a browser). */
function useNames(collection: 'services' | 'routes' | 'consumers') {
  return useAsync(async () => (await listEntities(collection, { limit: 1000 })).data.map((e) => String(e.name ?? e.id)).sort(), [collection]);
}

function FilterBar({ filters, onChange, onRefresh, refreshing }: { filters: Filters; onChange(f: Filters): void; onRefresh(): void; refreshing: boolean }) {
  const services = useNames('services');
  const routes = useNames('routes');
  const consumers = useNames('consumers');
  const range = rangeById(filters.range);
  const options = (names: readonly string[] | undefined, current: string) => {
    const list = names ?? [];
    // Keep a chosen value listed even if it is gone (or not loaded yet), so the select shows it.
    return [ALL, ...(current && !list.includes(current) ? [current] : []), ...list].map((o) => (typeof o === 'string' ? { value: o, label: o } : o));
  };
  return (
    <form className="toolbar analytics-filters" aria-label="Analytics filters" onSubmit={(e) => { e.preventDefault(); onRefresh(); }}>
      <SelectField label="Time range" value={filters.range} options={RANGES.map((r) => ({ value: r.id, label: r.label }))}
        onChange={(v) => onChange({ ...filters, range: v, granularity: rangeById(v).granularities[0]! })} />
      <SelectField label="Granularity" value={filters.granularity} options={range.granularities.map((g) => ({ value: g, label: GRANULARITY_LABEL[g] }))}
        onChange={(v) => onChange({ ...filters, granularity: v as Granularity })} />
      <SelectField label="Service" value={filters.service} options={options(services.data, filters.service)} onChange={(v) => onChange({ ...filters, service: v })} />
      <SelectField label="Route" value={filters.route} options={options(routes.data, filters.route)} onChange={(v) => onChange({ ...filters, route: v })} />
      <SelectField label="Consumer" value={filters.consumer} options={options(consumers.data, filters.consumer)} onChange={(v) => onChange({ ...filters, consumer: v })} />
      <Button type="submit" busy={refreshing}>Refresh</Button>
    </form>
  );
}

function filterQuery(f: Filters, toMs: number) {
  const span = rangeById(f.range).spanMs;
  return {
    from: new Date(toMs - span).toISOString(),
    to: new Date(toMs).toISOString(),
    ...(f.service ? { service: f.service } : {}),
    ...(f.route ? { route: f.route } : {}),
    ...(f.consumer ? { consumer: f.consumer } : {}),
  };
}

function Stat({ label, value }: { label: string; value: string }) {
  return <div className="card analytics-stat"><dt className="stat-label">{label}</dt><dd className="stat">{value}</dd></div>;
}

function pointColumns(g: Granularity, extra: Column<Point>[]): Column<Point>[] {
  return [{ key: 'start', header: 'From', render: (p) => <time dateTime={p.start}>{bucketLabel(g, p.start, true)}</time> }, ...extra];
}

function TrafficCharts({ g, points }: { g: Granularity; points: Point[] }) {
  const labels = points.map((p) => bucketLabel(g, p.start));
  const totals = totalsOf(points);
  const measured = points.filter((p) => p.calls > 0);
  const peak = measured.reduce<Point | undefined>((m, p) => (m === undefined || p.calls > m.calls ? p : m), undefined);
  const rows = measured.toReversed(); // tables: newest first, only buckets with calls
  const when = (p: Point | undefined) => (p ? bucketLabel(g, p.start, true) : '');
  const errorShare = (p: Point, n: number) => (p.calls > 0 ? percent(n, p.calls) : undefined);
  const worstP99 = measured.reduce<Point | undefined>((m, p) => ((p.latency_p99_ms ?? 0) > (m?.latency_p99_ms ?? -1) ? p : m), undefined);
  return (
    <>
      <dl className="analytics-stats">
        <Stat label="Calls" value={formatCount(totals.calls)} />
        <Stat label="Client errors (4xx)" value={formatPercent(percent(totals.errors4xx, totals.calls))} />
        <Stat label="Server errors (5xx)" value={formatPercent(percent(totals.errors5xx, totals.calls))} />
        <Stat label="Average latency" value={formatMs(totals.latencyAvgMs)} />
        <Stat label="Highest p99" value={formatMs(totals.peakP99Ms)} />
        <Stat label="Bytes out" value={formatBytes(totals.bytesOut)} />
      </dl>
      <div className="analytics-charts">
        <section className="card" aria-label="Traffic">
          <LineChart title="Calls over time" labels={labels} formatValue={formatCount}
            summary={`${totals.calls} calls in ${points.length} buckets${peak ? `; the busiest, ${when(peak)}, had ${peak.calls}` : ''}.`}
            series={[{ key: 'calls', label: 'Calls', tone: 'primary', values: points.map((p) => p.calls) }]}
            table={<DataTable caption="Calls per bucket" rows={rows} empty="No calls." rowKey={(p) => p.start} columns={pointColumns(g, [
              { key: 'calls', header: 'Calls', render: (p) => p.calls },
              { key: 'in', header: 'Bytes in', render: (p) => formatBytes(p.bytes_in) },
              { key: 'out', header: 'Bytes out', render: (p) => formatBytes(p.bytes_out) },
            ])} />} />
        </section>
        <section className="card" aria-label="Error rates">
          <LineChart title="Error rate (% of calls)" labels={labels} yTicks={[0, 25, 50, 75, 100]} formatValue={(v) => `${v}%`}
            summary={`${formatPercent(percent(totals.errors4xx, totals.calls))} of calls answered 4xx and ${formatPercent(percent(totals.errors5xx, totals.calls))} answered 5xx over the range.`}
            series={[
              { key: '4xx', label: '4xx', tone: 'warning', dash: '6 3', values: points.map((p) => errorShare(p, p.errors_4xx)) },
              { key: '5xx', label: '5xx', tone: 'danger', values: points.map((p) => errorShare(p, p.errors_5xx)) },
            ]}
            table={<DataTable caption="Errors per bucket" rows={rows} empty="No calls." rowKey={(p) => p.start} columns={pointColumns(g, [
              { key: 'calls', header: 'Calls', render: (p) => p.calls },
              { key: '4xx', header: '4xx', render: (p) => `${p.errors_4xx} (${formatPercent(errorShare(p, p.errors_4xx))})` },
              { key: '5xx', header: '5xx', render: (p) => `${p.errors_5xx} (${formatPercent(errorShare(p, p.errors_5xx))})` },
            ])} />} />
        </section>
        <section className="card" aria-label="Latency">
          <LineChart title="Latency percentiles" labels={labels} formatValue={formatMs}
            summary={worstP99 ? `The highest p99 was ${formatMs(worstP99.latency_p99_ms)}, ${when(worstP99)}; average latency ${formatMs(totals.latencyAvgMs)}.` : 'No latency was measured.'}
            series={[
              { key: 'p50', label: 'p50', tone: 'success', dash: '2 3', values: points.map((p) => p.latency_p50_ms) },
              { key: 'p95', label: 'p95', tone: 'primary', dash: '6 3', values: points.map((p) => p.latency_p95_ms) },
              { key: 'p99', label: 'p99', tone: 'danger', values: points.map((p) => p.latency_p99_ms) },
            ]}
            table={<DataTable caption="Latency per bucket" rows={rows} empty="No calls." rowKey={(p) => p.start} columns={pointColumns(g, [
              { key: 'p50', header: 'p50', render: (p) => formatMs(p.latency_p50_ms) },
              { key: 'p95', header: 'p95', render: (p) => formatMs(p.latency_p95_ms) },
              { key: 'p99', header: 'p99', render: (p) => formatMs(p.latency_p99_ms) },
              { key: 'avg', header: 'Average', render: (p) => formatMs(p.latency_avg_ms) },
            ])} />} />
        </section>
      </div>
    </>
  );
}

const consumerColumns: Column<ConsumerUsage>[] = [
  { key: 'consumer', header: 'Consumer', truncate: (c) => c.consumer, render: (c) => <Link href={`/console/consumers/${encodeURIComponent(c.consumer)}`}>{c.consumer}</Link> },
  { key: 'calls', header: 'Calls', render: (c) => formatCount(c.calls) },
  { key: 'errors', header: 'Errors', render: (c) => formatPercent(percent(c.errors_4xx + c.errors_5xx, c.calls)) },
  { key: 'p95', header: 'p95', render: (c) => formatMs(c.latency_p95_ms) },
  { key: 'out', header: 'Bytes out', render: (c) => formatBytes(c.bytes_out) },
];

const nearColumns: Column<NearLimit>[] = [
  { key: 'consumer', header: 'Consumer', truncate: (q) => q.consumer, render: (q) => q.consumer },
  { key: 'plan', header: 'Plan', truncate: (q) => q.plan ?? q.subject, render: (q) => q.plan ?? <code>{q.subject}</code> },
  { key: 'period', header: 'Period', render: (q) => q.period },
  { key: 'used', header: 'Used', render: (q) => `${formatCount(q.used)} of ${formatCount(q.limit)}` },
  {
    key: 'percent', header: 'Share',
    render: (q) => (
      <span className="quota-share">
        <meter min={0} max={100} low={80} high={95} optimum={0} value={Math.min(100, q.percent_used)} aria-label={`${q.consumer}: ${q.percent_used}% used`} />
        {q.percent_used}%
      </span>
    ),
  },
  { key: 'resets', header: 'Resets', render: (q) => <time dateTime={q.resets_at}>{new Date(q.resets_at).toLocaleString()}</time> },
];

function NearLimit() {
  const [threshold, setThreshold] = useState('80');
  const near = useAsync(() => call(admin.GET('/admin/analytics/quota-near-limit', { params: { query: { threshold: Number(threshold) } } })), [threshold]);
  return (
    <section className="analytics-section" aria-labelledby="near-heading">
      <div className="toolbar">
        <h2 id="near-heading">Quota near its limit</h2>
        <SelectField label="At least" value={threshold} onChange={setThreshold} options={['50', '80', '90', '100'].map((t) => ({ value: t, label: `${t}% used` }))} />
      </div>
      <p className="hint">Current periods of every allowance, whatever the filters above.</p>
      <DataTable caption="Allowances near their limit" columns={nearColumns} rows={near.data?.data} loading={near.loading} error={near.error}
        empty={`No allowance has used ${threshold}% or more of its limit this period.`} rowKey={(q) => `${q.subject}|${q.period}`} />
    </section>
  );
}

export default function AnalyticsPage() {
  const [filters, setFilters] = useState<Filters>({ range: '24h', granularity: 'hour', service: '', route: '', consumer: '' });
  // The range ends "now" as of the last change or refresh: refreshing moves the window forward.
  const [now, setNow] = useState(() => Date.now());
  const query = useMemo(() => filterQuery(filters, now), [filters, now]);
  const traffic = useAsync(() => call(admin.GET('/admin/analytics/traffic', { params: { query: { ...query, granularity: filters.granularity } } })), [query, filters.granularity]);
  const top = useAsync(() => call(admin.GET('/admin/analytics/top-consumers', { params: { query: { ...query, limit: 10 } } })), [query]);
  const points = useMemo(() => (traffic.data ? fillBuckets(traffic.data.granularity, traffic.data.from, traffic.data.to, traffic.data.points) : undefined), [traffic.data]);
  const change = (f: Filters) => { setFilters(f); setNow(Date.now()); };
  const csv = new URLSearchParams({ ...query, granularity: filters.granularity, format: 'csv' });
  return (
    <>
      <FilterBar filters={filters} onChange={change} onRefresh={() => setNow(Date.now())} refreshing={traffic.loading} />
      <p className="hint analytics-note">
        Times are local. Per-minute figures lag the gateways by a few seconds; hourly and coarser ones by up to a minute more (the roll-up).{' '}
        <a href={`/admin/analytics/traffic?${csv.toString()}`} download="usage.csv">Download as CSV</a>
      </p>
      <div aria-live="polite" aria-busy={traffic.loading}>
        {traffic.error ? <p role="alert" className="table-state error">The traffic could not be loaded: {traffic.error}</p>
          : !points ? <div className="table-state"><Spinner label="Loading traffic" /></div>
          : traffic.data!.points.length === 0 ? <p className="card analytics-empty">No calls in this range{filters.service || filters.route || filters.consumer ? ' for these filters' : ''}. Calls appear here a few seconds after the gateway answers them.</p>
          : <TrafficCharts g={traffic.data!.granularity} points={points} />}
      </div>
      <section className="analytics-section" aria-labelledby="top-heading">
        <h2 id="top-heading">Top consumers</h2>
        <DataTable caption="Top consumers" columns={consumerColumns} rows={top.data?.data} loading={top.loading} error={top.error}
          empty="No consumer made calls in this range." rowKey={(c) => c.consumer} />
      </section>
      <NearLimit />
    </>
  );
}
