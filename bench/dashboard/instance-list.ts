/**
 * Dashboard benchmark (`npm run bench:dashboard`): a real `kumo up` (fake
 * driver) holding SERVERS (default 100) ACTIVE servers, and Debian's headless
 * Chromium (playwright-core). Measures the first load of the instance list —
 * navigation start to the last of the servers' rows on screen — with an
 * empty browser cache (a new profile each run, RUNS runs) and reloaded with
 * the cache warm; and the gzipped size of the app's own JS and CSS.
 * Prints a JSON report; docs/benchmarks.md records it. Target: < 1 s; < 500 KB.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { connect } from '../compute/cloud-client.js';
import { ROOT, ensureBuilt, freePort, readAdminOpenrc, startKumo } from '../identity/kumo-process.js';
import { machineInfo } from '../lib/proc-stats.js';
import { launchBrowser } from '../../test/support/novnc-browser.js';

const SERVERS = Number(process.env.SERVERS ?? '100');
const RUNS = Number(process.env.RUNS ?? '5');
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bundleSizes(): Record<string, number> {
  const dir = join(ROOT, 'dashboard', 'dist', 'assets');
  const out: Record<string, number> = { jsBytes: 0, jsGzipBytes: 0, cssBytes: 0, cssGzipBytes: 0 };
  for (const f of readdirSync(dir)) {
    const data = readFileSync(join(dir, f));
    const kind = f.endsWith('.js') ? 'js' : f.endsWith('.css') ? 'css' : undefined;
    if (!kind) continue;
    out[`${kind}Bytes`]! += statSync(join(dir, f)).size;
    out[`${kind}GzipBytes`]! += gzipSync(data, { level: 9 }).length;
  }
  return out;
}

async function main(): Promise<void> {
  ensureBuilt(log);
  if (!statSync(join(ROOT, 'dashboard', 'dist', 'index.html'), { throwIfNoEntry: false })) {
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
  }
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', 'kumo-bench-dashboard-'));
  const dashboardPort = await freePort();
  const kumo = await startKumo({ dataDir, driver: 'fake', dashboardPort });
  const url = `http://127.0.0.1:${dashboardPort}`;
  try {
    const c = await connect(dataDir);
    await c.call('compute', 'PUT', `/os-quota-sets/${c.projectId}`, { quota_set: { instances: -1, cores: -1, ram: -1 } });
    await c.call('compute', 'POST', '/flavors', { flavor: { id: 'bench-1', name: 'bench.nano', vcpus: 1, ram: 64, disk: 1 } });
    const img = await c.call<{ id: string }>('image', 'POST', '/v2/images', {
      name: 'bench-image',
      disk_format: 'raw',
      container_format: 'bare',
    });
    await c.raw('image', 'PUT', `/v2/images/${img.id}/file`, Buffer.alloc(1 << 20));
    log(`creating ${SERVERS} servers`);
    await c.call(
      'compute',
      'POST',
      '/servers',
      { server: { name: 'vm', imageRef: img.id, flavorRef: 'bench-1', networks: 'none', min_count: SERVERS, max_count: SERVERS } },
      { 'openstack-api-version': 'compute 2.37' },
    );
    for (let active = 0; active < SERVERS;) {
      await sleep(500);
      const list = await c.call<{ servers: { status: string }[] }>('compute', 'GET', '/servers/detail');
      active = list.servers.filter((s) => s.status === 'ACTIVE').length;
    }
    // A session as the sign-in page stores it, put in each fresh profile before the app starts.
    const rc = readAdminOpenrc(dataDir);
    const browser0 = await launchBrowser({ width: 1280, height: 800 });
    const page0 = await browser0.context.newPage();
    await page0.goto(url);
    await page0.getByLabel('User name').fill(String(rc.OS_USERNAME));
    await page0.getByLabel('Password').fill(String(rc.OS_PASSWORD));
    await page0.getByRole('button', { name: 'Sign in' }).click();
    await page0
      .locator('tbody tr')
      .nth(SERVERS - 1)
      .waitFor({ timeout: 30_000 });
    const session = await page0.evaluate<string>(`sessionStorage.getItem('kumo.session')`);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page0.reload();
      await page0
        .locator('tbody tr')
        .nth(SERVERS - 1)
        .waitFor({ timeout: 30_000 });
      warm.push(await page0.evaluate<number>('performance.now()'));
    }
    await browser0.close();
    const cold: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const b = await launchBrowser({ width: 1280, height: 800 });
      try {
        await b.context.addInitScript(`sessionStorage.setItem('kumo.session', ${JSON.stringify(session)})`);
        const page = await b.context.newPage();
        await page.goto(`${url}/project/instances`);
        await page
          .locator('tbody tr')
          .nth(SERVERS - 1)
          .waitFor({ timeout: 30_000 });
        cold.push(await page.evaluate<number>('performance.now()'));
      } finally {
        await b.close();
      }
    }
    const report = {
      machine: machineInfo(),
      date: new Date().toISOString(),
      servers: SERVERS,
      runs: RUNS,
      firstLoadColdMs: { median: median(cold), max: Math.max(...cold), all: cold.map(Math.round) },
      reloadWarmMs: { median: median(warm), max: Math.max(...warm), all: warm.map(Math.round) },
      bundle: bundleSizes(),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await kumo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
