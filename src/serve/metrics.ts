/**
 * The server's Prometheus metrics, written in the text exposition format (version 0.0.4): requests
 * by status code, the latency of predictions and the size of batches as histograms, the queue
 * length as a gauge. No dependency: a histogram is a few counters.
 */

/** Cumulative-bucket histogram (Prometheus `histogram`). */
class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) this.counts[i]++;
  }
  /** The mean of the observations (0 before any). */
  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
  text(name: string, help: string): string {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    for (const [i, b] of this.bounds.entries()) lines.push(`${name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return lines.join('\n');
  }
}

/** What /metrics reports. */
export class ServeMetrics {
  private readonly byCode = new Map<number, number>();
  readonly latency = new Histogram([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly batchSize = new Histogram([1, 2, 4, 8, 16, 32, 64, 128, 256]);

  /** A response sent with `code`. */
  response(code: number): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }

  text(queued: number, workers: number): string {
    const codes = [...this.byCode].sort((a, b) => a[0] - b[0]);
    return `${[
      '# HELP torchlet_http_requests_total HTTP requests answered, by status code.',
      '# TYPE torchlet_http_requests_total counter',
      ...codes.map(([c, n]) => `torchlet_http_requests_total{code="${c}"} ${n}`),
      this.latency.text('torchlet_predict_duration_seconds', 'Time from the request to the response of POST /v1/predict, successful ones.'),
      this.batchSize.text('torchlet_batch_size', 'Sequences packed into each batch run.'),
      '# HELP torchlet_queue_length Sequences waiting for a worker.',
      '# TYPE torchlet_queue_length gauge',
      `torchlet_queue_length ${queued}`,
      '# HELP torchlet_workers Worker threads holding the model (0: the main thread runs batches).',
      '# TYPE torchlet_workers gauge',
      `torchlet_workers ${workers}`,
    ].join('\n')}\n`;
  }
}
