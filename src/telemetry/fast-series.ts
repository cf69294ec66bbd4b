// Counters and histograms for the request hot path. prom-client's labelled children re-validate
// and re-hash their labels on every observe(); these series resolve labels once, then count with
// a few array writes. They render through prom-client's registry (and its cluster aggregation)
// as ordinary counters and histograms, because they implement the same get() contract.
import client from 'prom-client';

type Labels = Record<string, string>;
interface MetricValue { labels: Labels; value: number; metricName?: string }

export class HistogramSeries {
  readonly labels: Labels;
  readonly bounds: readonly number[];
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

abstract class FastMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, S>();

  constructor(name: string, help: string, registry: client.Registry) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as unknown as client.Metric);
  }

  protected key(labels: Labels): string {
    return Object.values(labels).join('\u0000');
  }

  reset(): void {
    this.series.clear();
  }
}

export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  private readonly bounds: readonly number[];

  constructor(name: string, help: string, bounds: readonly number[], registry: client.Registry) {
    super(name, help, registry);
    this.bounds = bounds;
  }

  /** The series for a label set: look it up once and keep it. */
  with(labels: Labels): HistogramSeries {
    const key = this.key(labels);
    let s = this.series.get(key);
    if (!s) { s = new HistogramSeries(labels, this.bounds); this.series.set(key, s); }
    return s;
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) {
      if (s.count === 0) continue; // like prom-client: a series appears once it has data
      let cumulative = 0;
      s.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { ...s.labels, le: String(le) }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}

export class CounterSeries {
  readonly labels: Labels;
  value = 0;
  constructor(labels: Labels) { this.labels = labels; }
  inc(): void { this.value++; }
}

export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = 'counter' as const;

  with(labels: Labels): CounterSeries {
    const key = this.key(labels);
    let s = this.series.get(key);
    if (!s) { s = new CounterSeries(labels); this.series.set(key, s); }
    return s;
  }

  async get(): Promise<{ name: string; help: string; type: 'counter'; aggregator: 'sum'; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values: [...this.series.values()].filter((s) => s.value > 0).map((s) => ({ labels: s.labels, value: s.value })) };
  }
}
