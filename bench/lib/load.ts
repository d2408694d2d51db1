/**
 * A closed-loop HTTP load generator: N workers, each sending its next
 * request as soon as the previous one is answered, over keep-alive
 * connections (one per worker). Bounded by time AND by request count, with a
 * per-request timeout, so a stuck server cannot hang the benchmark.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { LatencyHistogram } from './histogram.js';

export interface LoadRequest {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer;
}

export interface LoadResponse {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface LoadOptions {
  /** Target origin, e.g. http://127.0.0.1:5000 (only the host and port are used). */
  origin: string;
  concurrency: number;
  /** Measured phase length. */
  durationMs: number;
  /** Unmeasured phase before it (JIT warm-up, caches); same workers and connections. */
  warmupMs?: number;
  /** Hard cap on requests sent in the measured phase (warm-up has its own equal cap). */
  maxRequests?: number;
  /** Per-request timeout; a timed-out request counts as an error and its socket is dropped. */
  timeoutMs?: number;
  /** Status a request must get to count as a success (others are errors, not in the histogram). */
  expectStatus: number;
  /** The i-th request of the run (i counts across workers, from 0; warm-up included). */
  next(i: number): LoadRequest;
  /** Sees every successful response (e.g. to collect issued tokens). Keep it cheap. */
  onSuccess?(res: LoadResponse): void;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Status code (or "timeout"/"error:<code>") → count, measured phase only. */
  statuses: Record<string, number>;
  elapsedS: number;
  rps: number;
  latency: LatencyHistogram;
  /** CPU the load generator itself used during the measured phase, as a fraction of one core. */
  clientCpu: number;
  firstError?: string;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.origin);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxRequests = opts.maxRequests ?? Number.MAX_SAFE_INTEGER;
  let seq = 0;

  const one = (req: LoadRequest): Promise<{ status: number | string; headers?: IncomingHttpHeaders; detail?: string }> =>
    new Promise((resolve) => {
      const headers: OutgoingHttpHeaders = { ...req.headers };
      if (req.body) headers['content-length'] = req.body.length;
      const r = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve({
            status,
            headers: res.headers,
            detail: status === opts.expectStatus ? undefined : Buffer.concat(chunks).toString('utf8').slice(0, 300),
          });
        });
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: `error:${e.code ?? e.message}` }));
      });
      r.setTimeout(timeoutMs, () => {
        r.destroy();
        resolve({ status: 'timeout' });
      });
      r.on('error', (e: NodeJS.ErrnoException) => resolve({ status: `error:${e.code ?? e.message}` }));
      r.end(req.body);
    });

  const phase = async (ms: number, measure: boolean): Promise<LoadResult> => {
    const latency = new LatencyHistogram();
    const statuses: Record<string, number> = {};
    let sent = 0;
    let errors = 0;
    let firstError: string | undefined;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + ms;
    const worker = async (): Promise<void> => {
      while (performance.now() < deadline && sent < maxRequests) {
        sent += 1;
        const start = performance.now();
        const res = await one(opts.next(seq++));
        const us = (performance.now() - start) * 1000;
        statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
        if (res.status === opts.expectStatus) {
          if (measure) latency.record(us);
          opts.onSuccess?.({ status: res.status, headers: res.headers ?? {} });
        } else {
          errors += 1;
          firstError ??= `${res.status} ${res.detail ?? ''}`.trim();
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      requests: sent,
      errors,
      statuses,
      elapsedS,
      rps: latency.count / elapsedS,
      latency,
      clientCpu: (cpu.user + cpu.system) / 1e6 / elapsedS,
      ...(firstError ? { firstError } : {}),
    };
  };

  try {
    if (opts.warmupMs && opts.warmupMs > 0) await phase(opts.warmupMs, false);
    return await phase(opts.durationMs, true);
  } finally {
    agent.destroy();
  }
}
