// A small line chart drawn in SVG, sized to its container (so its text stays legible from phone to
// desktop). Accessible: the SVG is one image with a title and a one-sentence summary, each series
// has a colour AND a dash pattern (colour is never the only cue), and the same numbers are
// available as a data table under a disclosure for keyboard and screen-reader users.
import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { niceTicks } from './series.ts';

export interface ChartSeries {
  readonly key: string;
  readonly label: string;
  /** One value per x position; undefined leaves a gap (nothing measured). */
  readonly values: readonly (number | undefined)[];
  /** CSS class giving the stroke colour (analytics.css). */
  readonly tone: 'primary' | 'danger' | 'warning' | 'success' | 'muted';
  readonly dash?: string;
}

const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 52 };
/** Pixels between the anchors of two x labels (a time label is about 60 px wide at 11 px). */
const MIN_LABEL_GAP = 90;

/** The container's content width, following resizes (a phone rotating, the sidebar collapsing). */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(240, Math.floor(el.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Path data for one series: a polyline broken at gaps. */
function pathOf(values: readonly (number | undefined)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === undefined) { pen = false; return; }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

export function LineChart({ title, summary, labels, series, formatValue, yTicks, table }: {
  title: string;
  /** One sentence a screen reader hears for the image (e.g. the totals and the peak). */
  summary: string;
  /** One x label per value. */
  labels: readonly string[];
  series: readonly ChartSeries[];
  formatValue(v: number): string;
  /** Fixed ticks (e.g. 0–100 for percentages); otherwise from the data. */
  yTicks?: readonly number[];
  /** The same data as a table (rendered inside the disclosure). */
  table: ReactNode;
}) {
  const id = useId();
  const [ref, width] = useWidth();
  const n = labels.length;
  const peak = Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== undefined)));
  const ticks = yTicks ?? niceTicks(peak);
  const top = ticks[ticks.length - 1]!;
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => PAD.top + plotH - (Math.min(v, top) / top) * plotH;
  // As many x labels as fit (about one per 90 px), always including the first and the last.
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / MIN_LABEL_GAP))));
  // The last label always shows; a regular one too close before it gives way.
  const xTicks = labels.map((l, i) => ({ l, i })).filter(({ i }) => i === n - 1 || (i % every === 0 && x(n - 1) - x(i) >= MIN_LABEL_GAP));
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="chart-title">{title}</figcaption>
      <ul className="chart-legend" aria-hidden="true">
        {series.map((s) => (
          <li key={s.key}><svg width="24" height="10"><line className={`chart-line tone-${s.tone}`} x1="0" y1="5" x2="24" y2="5" strokeDasharray={s.dash} /></svg>{s.label}</li>
        ))}
      </ul>
      <div ref={ref} className="chart-canvas">
        <svg role="img" aria-labelledby={`${id}-svg-title ${id}-desc`} width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`}>
          <title id={`${id}-svg-title`}>{title}</title>
          <desc id={`${id}-desc`}>{summary}</desc>
          {ticks.map((t) => (
            <g key={t}>
              <line className="chart-grid" x1={PAD.left} x2={width - PAD.right} y1={y(t)} y2={y(t)} />
              <text className="chart-axis" x={PAD.left - 6} y={y(t)} dy="0.32em" textAnchor="end">{formatValue(t)}</text>
            </g>
          ))}
          {xTicks.map(({ l, i }) => (
            <text key={i} className="chart-axis" x={x(i)} y={HEIGHT - 8} textAnchor={n > 1 && i === n - 1 ? 'end' : n > 1 && i === 0 ? 'start' : 'middle'}>{l}</text>
          ))}
          {series.map((s) => {
            const single = s.values.filter((v) => v !== undefined).length === 1;
            return (
              <g key={s.key}>
                <path className={`chart-line tone-${s.tone}`} d={pathOf(s.values, x, y)} strokeDasharray={s.dash} />
                {/* A lone measured point has no line to show it: mark it. */}
                {single ? s.values.map((v, i) => (v === undefined ? null : <circle key={i} className={`chart-dot tone-${s.tone}`} cx={x(i)} cy={y(v)} r="3.5" />)) : null}
              </g>
            );
          })}
        </svg>
      </div>
      <details className="chart-table">
        <summary>Show the data as a table</summary>
        {table}
      </details>
    </figure>
  );
}
