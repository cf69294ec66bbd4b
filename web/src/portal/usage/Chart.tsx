// Small accessible SVG charts drawn by hand (no chart library): the SVG is an image with a text
// summary (role="img", <title>, <desc>); the numbers themselves are in a data table beside it.

export interface ChartSeries {
  readonly name: string;
  /** A class from usage.css giving the colour (fill for bars, stroke for lines). */
  readonly className: string;
  readonly values: readonly number[];
}

const W = 640, H = 220, PAD_L = 48, PAD_B = 28, PAD_T = 10, PAD_R = 8;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const compact = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k` : String(Math.round(n * 10) / 10));

function Axes({ max, labels, unit }: { max: number; labels: readonly string[]; unit: string }) {
  const plotH = H - PAD_T - PAD_B;
  const ticks = [0, 0.5, 1];
  const step = Math.max(1, Math.ceil(labels.length / 6));
  const slot = (W - PAD_L - PAD_R) / Math.max(1, labels.length);
  return (
    <g className="chart-axes" aria-hidden="true">
      {ticks.map((t) => {
        const y = PAD_T + plotH * (1 - t);
        return (
          <g key={t}>
            <line x1={PAD_L} x2={W - PAD_R} y1={y} y2={y} className="chart-grid" />
            <text x={PAD_L - 6} y={y + 4} textAnchor="end">{compact(max * t)}{t === 1 ? unit : ''}</text>
          </g>
        );
      })}
      {labels.map((l, i) => (i % step === 0 ? <text key={i} x={PAD_L + slot * i + slot / 2} y={H - 8} textAnchor="middle">{l}</text> : null))}
    </g>
  );
}

/** Stacked bars, one stack per bucket. */
export function StackedBars({ title, summary, labels, series }: { title: string; summary: string; labels: readonly string[]; series: readonly ChartSeries[] }) {
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotH = H - PAD_T - PAD_B;
  const slot = (W - PAD_L - PAD_R) / Math.max(1, labels.length);
  const barW = Math.max(1, slot * 0.7);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${summary}`}>
      <Axes max={max} labels={labels} unit="" />
      {labels.map((_, i) => {
        let y = PAD_T + plotH;
        return (
          <g key={i}>
            {series.map((s) => {
              const h = ((s.values[i] ?? 0) / max) * plotH;
              y -= h;
              return h > 0 ? <rect key={s.name} className={s.className} x={PAD_L + slot * i + (slot - barW) / 2} y={y} width={barW} height={h} /> : null;
            })}
          </g>
        );
      })}
    </svg>
  );
}

/** Lines, one point per bucket (gaps where a value is missing). */
export function Lines({ title, summary, labels, series, unit }: { title: string; summary: string; labels: readonly string[]; series: readonly ChartSeries[]; unit: string }) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)))));
  const plotH = H - PAD_T - PAD_B;
  const slot = (W - PAD_L - PAD_R) / Math.max(1, labels.length);
  const x = (i: number) => PAD_L + slot * i + slot / 2;
  const y = (v: number) => PAD_T + plotH * (1 - v / max);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${summary}`}>
      <Axes max={max} labels={labels} unit={unit} />
      {series.map((s) => {
        const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i)},${y(v)}` : '')).filter(Boolean);
        return (
          <g key={s.name} className={s.className}>
            <polyline points={pts.join(' ')} fill="none" />
            {pts.length === 1 ? <circle cx={pts[0]!.split(',')[0]} cy={pts[0]!.split(',')[1]} r={3} /> : null}
          </g>
        );
      })}
    </svg>
  );
}

/** The colour key of a chart. */
export function Legend({ series }: { series: readonly Pick<ChartSeries, 'name' | 'className'>[] }) {
  return (
    <ul className="chart-legend">
      {series.map((s) => <li key={s.name}><span className={`swatch ${s.className}`} aria-hidden="true" />{s.name}</li>)}
    </ul>
  );
}
