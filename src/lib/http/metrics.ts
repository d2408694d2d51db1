import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, shared by every service it runs. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'service' | 'method' | 'route' | 'status'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kumo_' });
    this.httpDuration = new Histogram({
      name: 'kumo_http_request_duration_seconds',
      help: 'HTTP request duration by service, method, route template and status.',
      labelNames: ['service', 'method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
  }
}
