/**
 * Network benchmark (`npm run bench:network`), against a real `kumo up`
 * (fake driver: no data plane, so only the API and its database are timed):
 * - port create latency p50/p99 over PORTS (default 1000) ports on one
 *   network with a /20 subnet (IPAM and MAC claims included), created by
 *   CONCURRENCY (default 10) clients;
 * - `GET /v2.0/ports` over those ports (median of 10 lists), and the real
 *   `openstack port list` when the CLI is installed.
 * Prints a JSON report; docs/benchmarks.md records it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, readAdminOpenrc, startKumo } from '../identity/kumo-process.js';
import { connect } from '../compute/cloud-client.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { machineInfo } from '../lib/proc-stats.js';

const PORTS = Number(process.env.PORTS ?? '1000');
const CONCURRENCY = Number(process.env.CONCURRENCY ?? '10');
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function cliSeconds(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile('openstack', args, { env, maxBuffer: 64 * 1024 * 1024 }, (e) => resolve(e ? null : (performance.now() - t0) / 1000)),
  );
}

async function main(): Promise<void> {
  ensureBuilt(log);
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'kumo-bench-network-'));
  const kumo = await startKumo({ dataDir, driver: 'fake' });
  try {
    const c = await connect(dataDir);
    await c.call('network', 'PUT', `/v2.0/quotas/${c.projectId}`, { quota: { port: -1, network: -1, subnet: -1 } });
    const net = await c.call<{ network: { id: string } }>('network', 'POST', '/v2.0/networks', { network: { name: 'bench' } });
    await c.call('network', 'POST', '/v2.0/subnets', {
      subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.64.0.0/20', enable_dhcp: false },
    });
    log(`${PORTS} port creates at concurrency ${CONCURRENCY}`);
    const hist = new LatencyHistogram();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PORTS) {
          const i = next++;
          const s0 = performance.now();
          await c.call('network', 'POST', '/v2.0/ports', { port: { network_id: net.network.id, name: `p-${i}` } });
          hist.record((performance.now() - s0) * 1000);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const create = {
      ports: PORTS,
      concurrency: CONCURRENCY,
      seconds,
      portsPerS: PORTS / seconds,
      p50Ms: hist.quantileUs(0.5) / 1000,
      p99Ms: hist.quantileUs(0.99) / 1000,
    };
    log(`create: ${JSON.stringify(create)}`);
    const lists: number[] = [];
    let count = 0;
    for (let i = 0; i < 10; i++) {
      const s0 = performance.now();
      const r = await c.call<{ ports: unknown[] }>('network', 'GET', '/v2.0/ports');
      lists.push(performance.now() - s0);
      count = r.ports.length;
    }
    const env = { ...process.env, ...readAdminOpenrc(dataDir) } as NodeJS.ProcessEnv;
    const cli = await cliSeconds(['port', 'list', '-f', 'value', '-c', 'ID'], env);
    const report = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      create,
      list: { ports: count, medianMs: median(lists), minMs: Math.min(...lists), maxMs: Math.max(...lists) },
      cliPortListSeconds: cli,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await kumo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
