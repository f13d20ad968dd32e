/**
 * Prometheus's view of operator replicas, as promtool `input_series`: each scrape reads every
 * replica's real registry (`getMetricsAsJSON`, what /metrics serves) and keeps the samples of the
 * metrics the alerts use, with the `job` and `instance` labels the scrape adds. A replica that is
 * gone gets staleness markers, as Prometheus writes them when a target disappears.
 */
import type { OperatorReplica } from "./operator-replica.ts";

export interface InputSeries {
  series: string;
  values: string;
}

export class ScrapeRecorder {
  private readonly samples = new Map<string, Array<string | undefined>>();
  private scrapes = 0;
  private readonly names: ReadonlySet<string>;
  private readonly job: string;

  constructor(names: Iterable<string>, job: string) {
    this.names = new Set(names);
    this.job = job;
  }

  async scrape(replicas: OperatorReplica[]): Promise<void> {
    for (const replica of replicas.filter((replica) => replica.up)) {
      for (const metric of await replica.metrics.registry.getMetricsAsJSON()) {
        if (!this.names.has(metric.name)) continue;
        for (const { labels, value } of metric.values) {
          const all = { ...labels, job: this.job, instance: replica.instance };
          const selector = Object.entries(all)
            .map(([name, labelValue]) => `${name}=${JSON.stringify(String(labelValue))}`)
            .join(",");
          const key = `${metric.name}{${selector}}`;
          const values = this.samples.get(key) ?? [];
          values[this.scrapes] = String(value);
          this.samples.set(key, values);
        }
      }
    }
    this.scrapes++;
  }

  /** Every series, one value per scrape: `_` before it exists, `stale` once after it ends. */
  inputSeries(): InputSeries[] {
    return [...this.samples].map(([series, values]) => ({
      series,
      values: Array.from({ length: this.scrapes }, (_, index) => {
        const value = values[index];
        if (value !== undefined) return value;
        return index > 0 && values[index - 1] !== undefined ? "stale" : "_";
      }).join(" "),
    }));
  }
}
