/** A small Prometheus registry: counters, gauges and histograms with labels, rendered as text format 0.0.4. */

type Labels = Record<string, string | number>;

const key = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',');

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}
/** A value that goes up and down, or is computed at scrape time. */
export interface Gauge {
  set(labels: Labels, value: number): void;
}
/** A distribution of observations (seconds, bytes). */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** The registry every module registers its metrics with. */
export interface Metrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string, collect?: () => Array<[Labels, number]>): Gauge;
  histogram(name: string, help: string, buckets?: number[]): Histogram;
  /** Registers work to run before each scrape (e.g. a gauge computed by a database query). */
  onScrape(refresh: () => Promise<void>): void;
  /** Prometheus text exposition, after every `onScrape` refresh has run (a failing refresh keeps old values). */
  render(): Promise<string>;
}

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Creates an empty registry. Registering a name twice returns the first metric. */
export function createMetrics(): Metrics {
  const renderers = new Map<string, () => string[]>();
  const made = new Map<string, Counter | Gauge | Histogram>();
  const refreshers: Array<() => Promise<void>> = [];

  return {
    counter(name, help) {
      const existing = made.get(name);
      if (existing) return existing as Counter;
      const values = new Map<string, number>();
      const c: Counter = {
        inc(labels = {}, by = 1) {
          const k = key(labels);
          values.set(k, (values.get(k) ?? 0) + by);
        },
      };
      renderers.set(name, () => [
        `# HELP ${name} ${help}`,
        `# TYPE ${name} counter`,
        ...[...values].map(([k, v]) => `${name}${k ? `{${k}}` : ''} ${v}`),
      ]);
      made.set(name, c);
      return c;
    },
    gauge(name, help, collect) {
      const existing = made.get(name);
      if (existing) return existing as Gauge;
      const values = new Map<string, number>();
      const g: Gauge = { set: (labels, value) => void values.set(key(labels), value) };
      renderers.set(name, () => {
        const rows = collect ? collect().map(([l, v]) => [key(l), v] as const) : [...values];
        return [
          `# HELP ${name} ${help}`,
          `# TYPE ${name} gauge`,
          ...rows.map(([k, v]) => `${name}${k ? `{${k}}` : ''} ${v}`),
        ];
      });
      made.set(name, g);
      return g;
    },
    histogram(name, help, buckets = DEFAULT_BUCKETS) {
      const existing = made.get(name);
      if (existing) return existing as Histogram;
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      const h: Histogram = {
        observe(labels, value) {
          const k = key(labels);
          let s = series.get(k);
          if (!s) {
            s = { counts: buckets.map(() => 0), sum: 0, count: 0 };
            series.set(k, s);
          }
          buckets.forEach((b, i) => {
            if (value <= b && s) s.counts[i] = (s.counts[i] ?? 0) + 1;
          });
          s.sum += value;
          s.count += 1;
        },
      };
      renderers.set(name, () => {
        const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
        for (const [k, s] of series) {
          const sep = k ? `${k},` : '';
          for (const [i, b] of buckets.entries()) out.push(`${name}_bucket{${sep}le="${b}"} ${s.counts[i] ?? 0}`);
          out.push(`${name}_bucket{${sep}le="+Inf"} ${s.count}`);
          out.push(`${name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
          out.push(`${name}_count${k ? `{${k}}` : ''} ${s.count}`);
        }
        return out;
      });
      made.set(name, h);
      return h;
    },
    onScrape(refresh) {
      refreshers.push(refresh);
    },
    async render() {
      await Promise.allSettled(refreshers.map((r) => r()));
      return `${[...renderers.values()].flatMap((r) => r()).join('\n')}\n`;
    },
  };
}
