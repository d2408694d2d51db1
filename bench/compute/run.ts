/**
 * Compute benchmark (`npm run bench:compute`), against real `kumo up` processes:
 * - fake driver: boot-to-ACTIVE latency p50/p99 and sustained boots/s with
 *   BOOTS servers (default 300) created by CONCURRENCY (10) clients, each
 *   polling its server every 20 ms; then `GET /servers/detail` over LIST_SERVERS
 *   (10,000) servers, paged as clients page (1,000 per page), and the real
 *   `openstack server list --long` when the CLI is installed;
 * - qemu driver (unless QEMU=0): the tiny guest image under KVM or TCG,
 *   time from the create call to ACTIVE and to the login banner on the serial
 *   console, and the kumo process's RSS growth per running guest (QEMU's own
 *   memory is in its own processes and not counted).
 * Prints a JSON report; docs/benchmarks.md records it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, startKumo } from '../identity/kumo-process.js';
import { LatencyHistogram } from '../lib/histogram.js';
import { machineInfo, memoryOf } from '../lib/proc-stats.js';
import { recordedQemuPids } from '../../test/support/qemu-pids.js';
import { connect, type CloudClient } from './cloud-client.js';

const BOOTS = Number(process.env.BOOTS ?? '300');
const CONCURRENCY = Number(process.env.CONCURRENCY ?? '10');
const LIST_SERVERS = Number(process.env.LIST_SERVERS ?? '10000');
const QEMU_GUESTS = Number(process.env.QEMU_GUESTS ?? '3');
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Server {
  id: string;
  status: string;
}

async function waitStatus(c: CloudClient, id: string, want: string, pollMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { server } = await c.call<{ server: Server }>('compute', 'GET', `/servers/${id}`);
    if (server.status === want) return;
    if (server.status === 'ERROR') throw new Error(`server ${id} went to ERROR`);
    if (Date.now() > deadline) throw new Error(`server ${id} still ${server.status} after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

async function setup(c: CloudClient, imageFile: string | undefined): Promise<{ imageId: string; flavorId: string }> {
  await c.call('compute', 'PUT', `/os-quota-sets/${c.projectId}`, {
    quota_set: { instances: -1, cores: -1, ram: -1, metadata_items: -1 },
  });
  const flavorId = 'bench-1';
  await c.call('compute', 'POST', '/flavors', { flavor: { id: flavorId, name: 'bench.nano', vcpus: 1, ram: 64, disk: 1 } });
  const img = await c.call<{ id: string }>('image', 'POST', '/v2/images', {
    name: 'bench-image',
    disk_format: 'qcow2',
    container_format: 'bare',
    visibility: 'public',
  });
  const data = imageFile ? readFileSync(imageFile) : await emptyQcow2();
  const status = await c.raw('image', 'PUT', `/v2/images/${img.id}/file`, data);
  if (status !== 204) throw new Error(`image upload → ${status}`);
  return { imageId: img.id, flavorId };
}

function emptyQcow2(): Promise<Buffer> {
  const dir = mkdtempSync('/var/tmp/kumo-bench-img-');
  const file = join(dir, 'd.qcow2');
  return new Promise((resolve, reject) =>
    execFile('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M'], (e) => {
      if (e) return reject(e);
      const b = readFileSync(file);
      rmSync(dir, { recursive: true, force: true });
      resolve(b);
    }),
  );
}

async function fakePhase(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'kumo-bench-compute-'));
  const kumo = await startKumo({ dataDir, driver: 'fake' });
  try {
    const c = await connect(dataDir);
    const { imageId, flavorId } = await setup(c, undefined);
    // Warm-up: the first boot fetches the image into the agent's cache.
    const warm = await c.call<{ server: Server }>('compute', 'POST', '/servers', {
      server: { name: 'warm', imageRef: imageId, flavorRef: flavorId },
    });
    await waitStatus(c, warm.server.id, 'ACTIVE', 20, 60_000);

    log(`fake driver: ${BOOTS} boots at concurrency ${CONCURRENCY}`);
    const hist = new LatencyHistogram();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < BOOTS) {
          const i = next++;
          const s0 = performance.now();
          const r = await c.call<{ server: Server }>(
            'compute',
            'POST',
            '/servers',
            { server: { name: `b-${i}`, imageRef: imageId, flavorRef: flavorId, networks: 'none' } },
            { 'openstack-api-version': 'compute 2.37' },
          );
          await waitStatus(c, r.server.id, 'ACTIVE', 20, 120_000);
          hist.record((performance.now() - s0) * 1000);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const boot = {
      boots: BOOTS,
      concurrency: CONCURRENCY,
      seconds,
      bootsPerS: BOOTS / seconds,
      p50Ms: hist.quantileUs(0.5) / 1000,
      p99Ms: hist.quantileUs(0.99) / 1000,
    };
    log(`boots: ${JSON.stringify(boot)}`);

    log(`creating servers up to ${LIST_SERVERS} (max_count batches)`);
    let have = BOOTS + 1;
    while (have < LIST_SERVERS) {
      const n = Math.min(200, LIST_SERVERS - have);
      await c.call('compute', 'POST', '/servers', {
        server: { name: `l-${have}`, imageRef: imageId, flavorRef: flavorId, min_count: n, max_count: n },
      });
      have += n;
    }
    // Wait until every one is ACTIVE (the list below measures a settled cloud).
    for (;;) {
      const { servers } = await c.call<{ servers: Server[] }>('compute', 'GET', '/servers?status=BUILD&limit=1');
      if (servers.length === 0) break;
      await sleep(500);
    }
    const listTimes: number[] = [];
    let count = 0;
    for (let run = 0; run < 5; run++) {
      const s0 = performance.now();
      count = 0;
      let marker = '';
      for (;;) {
        const page = await c.call<{ servers: Server[] }>(
          'compute',
          'GET',
          `/servers/detail?limit=1000${marker ? `&marker=${marker}` : ''}`,
        );
        count += page.servers.length;
        if (page.servers.length < 1000) break;
        marker = page.servers[page.servers.length - 1]?.id ?? '';
      }
      listTimes.push(performance.now() - s0);
    }
    listTimes.sort((a, b) => a - b);
    const list = { servers: count, pagedDetailMs: { min: listTimes[0], median: listTimes[2], max: listTimes[4] } };
    log(`list: ${JSON.stringify(list)}`);
    return { boot, list, rssMiB: memoryOf(kumo.pid).rssMiB };
  } finally {
    await kumo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function qemuPhase(): Promise<Record<string, unknown>> {
  const { ensureGuestImage } = await import('../../test/support/guest-image.js');
  const imageFile = await ensureGuestImage();
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'kumo-bench-qemu-'));
  const kumo = await startKumo({ dataDir, driver: 'qemu' });
  const created: string[] = [];
  let client: CloudClient | undefined;
  try {
    const c = await connect(dataDir);
    client = c;
    const { imageId } = await setup(c, imageFile);
    // 128 MiB: Debian 12's cloud kernel does not boot in the 64 MiB of the fake phase's flavor.
    const qemuFlavor = 'bench-qemu';
    await c.call('compute', 'POST', '/flavors', { flavor: { id: qemuFlavor, name: 'bench.small', vcpus: 1, ram: 128, disk: 1 } });
    const rss0 = memoryOf(kumo.pid).rssMiB;
    const guests: Record<string, number>[] = [];
    for (let i = 0; i < QEMU_GUESTS; i++) {
      const t0 = performance.now();
      const r = await c.call<{ server: Server }>('compute', 'POST', '/servers', {
        server: { name: `q-${i}`, imageRef: imageId, flavorRef: qemuFlavor },
      });
      created.push(r.server.id);
      await waitStatus(c, r.server.id, 'ACTIVE', 50, 300_000);
      const active = performance.now() - t0;
      let banner = NaN;
      while (performance.now() - t0 < 300_000) {
        const out = await c.call<{ output: string }>('compute', 'POST', `/servers/${r.server.id}/action`, {
          'os-getConsoleOutput': { length: 50 },
        });
        if (/login:/.test(out.output)) {
          banner = performance.now() - t0;
          break;
        }
        await sleep(250);
      }
      guests.push({ activeMs: active, bannerMs: banner });
      log(`guest ${i}: ACTIVE in ${active.toFixed(0)} ms, login banner in ${banner.toFixed(0)} ms`);
    }
    const rss1 = memoryOf(kumo.pid).rssMiB;
    return { guests, kumoRssBeforeMiB: rss0, kumoRssAfterMiB: rss1, agentRssPerGuestMiB: (rss1 - rss0) / QEMU_GUESTS };
  } finally {
    // Guests outlive the agent by design: delete them through the API, then end any the agent did not.
    await deleteServers(client, created);
    await kumo.stop();
    for (const pid of recordedQemuPids(join(dataDir, 'instances'))) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Deletes servers and waits (bounded) until the API no longer shows them. */
async function deleteServers(c: CloudClient | undefined, ids: string[]): Promise<void> {
  if (!c) return;
  for (const id of ids) await c.call('compute', 'DELETE', `/servers/${id}`).catch(() => undefined);
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    while (Date.now() < deadline) {
      const gone = await c.call('compute', 'GET', `/servers/${id}`).then(
        () => false,
        () => true,
      );
      if (gone) break;
      await sleep(250);
    }
  }
}

async function main(): Promise<void> {
  ensureBuilt(log);
  const report: Record<string, unknown> = { date: new Date().toISOString(), machine: machineInfo() };
  if (process.env.FAKE !== '0') report.fake = await fakePhase();
  if (process.env.QEMU !== '0') report.qemu = await qemuPhase();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
