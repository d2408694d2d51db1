/**
 * The identity benchmark: start-up time and idle memory of `kumo up`, and
 * token issue / validate throughput and latency against a fresh server on
 * 127.0.0.1. Timings are measurements to read, not assertions; token issue
 * is also reported as a ratio to the raw argon2id rate measured in the same run.
 *
 *   node --import tsx bench/identity/run.ts [--duration 20] [--concurrency 8]
 *     [--warmup 2] [--extras 10] [--reference 10] [--startup-runs 3]
 *     [--settle 3] [--wait-quiet SECONDS] [--json FILE] [--profile-dir DIR]
 *     [--server-env NAME=VALUE ...] [--keep-data]
 *
 * --wait-quiet waits (up to SECONDS) for other work on the machine to stop
 * before measuring; --profile-dir runs the server under `node --cpu-prof`
 * (summarise with profile-summary.ts); --server-env is for experiments
 * (e.g. UV_THREADPOOL_SIZE=2, or KUMO_IDENTITY_PASSWORD_HASH_* which the
 * argon2 reference then follows).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, type LoadOptions } from '../lib/load.js';
import {
  cpuSecondsOf,
  runqueueWaitSecondsOf,
  machineCpu,
  machineInfo,
  memoryOf,
  threadsOf,
  type MachineInfo,
  type MemoryStats,
} from '../lib/proc-stats.js';
import { measureArgon2, type Argon2Reference } from './argon2-reference.js';
import { ROOT, ensureBuilt, readAdminOpenrc, startKumo, type KumoProcess } from './kumo-process.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    extras: { type: 'string', default: '10' },
    reference: { type: 'string', default: '10' },
    'startup-runs': { type: 'string', default: '3' },
    settle: { type: 'string', default: '3' },
    'wait-quiet': { type: 'string', default: '0' },
    'server-env': { type: 'string', multiple: true, default: [] },
    json: { type: 'string' },
    'profile-dir': { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
  },
});

const num = (name: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
  return n;
};
const DURATION_S = num('duration', args.duration, 1, 600);
const CONCURRENCY = num('concurrency', args.concurrency, 1, 256);
const WARMUP_S = num('warmup', args.warmup, 0, 60);
const EXTRAS_S = num('extras', args.extras, 0, 600);
const REFERENCE_S = num('reference', args.reference, 1, 120);
const STARTUP_RUNS = num('startup-runs', args['startup-runs'], 0, 20);
const SETTLE_S = num('settle', args.settle, 0, 60);
const WAIT_QUIET_S = num('wait-quiet', args['wait-quiet'], 0, 3600);
const QUIET_CORES = 0.15;
const SERVER_ENV: Record<string, string> = {};
for (const kv of args['server-env'] ?? []) {
  const i = kv.indexOf('=');
  if (i < 1) throw new Error(`--server-env wants NAME=VALUE, got '${kv}'`);
  SERVER_ENV[kv.slice(0, i)] = kv.slice(i + 1);
}
// The server's defaults (src/lib/config/options.ts) unless overridden for an experiment.
const ARGON2 = {
  memoryCost: Number(SERVER_ENV.KUMO_IDENTITY_PASSWORD_HASH_MEMORY_KIB ?? 19456),
  timeCost: Number(SERVER_ENV.KUMO_IDENTITY_PASSWORD_HASH_TIME_COST ?? 2),
};
const TARGETS = { issueRps: 100, validateRps: 5000, p99Ms: 50, startupMs: 2000, idleRssMB: 150 };
const TOKEN_POOL = 1000;
const COLD_POOL_MAX = 200_000;

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface StartupSample {
  kind: 'fresh' | 'restart';
  readyLineMs: number;
  healthyMs: number;
  selfReportedMs: number;
}

interface PhaseReport {
  name: string;
  concurrency: number;
  durationS: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU used during the phase, in cores (1.0 = one core busy). */
  serverCores: number;
  /** The server's main (JavaScript event loop) thread alone; the rest is libuv pool threads (argon2), GC and I/O helpers. */
  serverMainThreadCores: number;
  /** Fraction of the phase the main thread was ready to run but waiting for a CPU (taken by other threads). */
  serverMainThreadWaiting: number;
  clientCores: number;
  /** Whole machine during the phase, in cores: busy (any process, kernel included) and stolen by the hypervisor. */
  machineBusyCores: number;
  machineStealCores: number;
  /** Phase window on CLOCK_MONOTONIC in µs (as V8 CPU profiles time their samples), to slice a server profile. */
  monotonicUs: [number, number];
  firstError?: string;
}

interface Report {
  machine: MachineInfo;
  /** The code measured: commit, and whether the work tree had changes. */
  code: string;
  command: string;
  settings: { durationS: number; concurrency: number; warmupS: number; extrasS: number };
  startup: StartupSample[];
  memory: { afterStartup: ServerMemory; afterLoad: ServerMemory; afterExtras?: ServerMemory; threads: number };
  /** Measured right before and right after the issue phase; `rate` below is their mean. */
  argon2: Argon2Reference & { before: number; after: number };
  /** Machine CPU busy (cores) in a quiet window before anything started: other users of the machine. */
  backgroundCores: number;
  phases: PhaseReport[];
}

/** /proc figures plus the V8 heap as the server's own /metrics reports it. */
interface ServerMemory extends MemoryStats {
  heapUsedMiB: number;
  heapTotalMiB: number;
}

async function serverMemory(k: KumoProcess): Promise<ServerMemory> {
  let text = '';
  try {
    text = await (await fetch(`${k.origin}/metrics`)).text();
  } catch {
    // Leave the heap figures NaN.
  }
  const metric = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  // After the scrape, so its own allocations are included rather than missed.
  return {
    ...memoryOf(k.pid),
    heapUsedMiB: metric('kumo_nodejs_heap_size_used_bytes'),
    heapTotalMiB: metric('kumo_nodejs_heap_size_total_bytes'),
  };
}

const live = new Set<KumoProcess>();
let tmpRoot = '';

async function cleanup(): Promise<void> {
  await Promise.all([...live].map((k) => k.stop()));
  live.clear();
  if (tmpRoot && !args['keep-data']) await rm(tmpRoot, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function start(dataDir: string, profile: boolean): Promise<KumoProcess> {
  const nodeArgs = profile && args['profile-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${args['profile-dir']}`] : [];
  const k = await startKumo({ dataDir, nodeArgs, env: SERVER_ENV });
  live.add(k);
  return k;
}

async function stop(k: KumoProcess): Promise<void> {
  await k.stop();
  live.delete(k);
}

type PhaseLoad = Pick<LoadOptions, 'expectStatus' | 'next' | 'onSuccess' | 'maxRequests'> & { warmup?: boolean };

/** One load phase against the server, with the server's and the machine's CPU use over it. */
async function phase(k: KumoProcess, name: string, durationS: number, concurrency: number, load: PhaseLoad): Promise<PhaseReport> {
  log(`${name}: ${durationS} s at concurrency ${concurrency}`);
  const cpu0 = cpuSecondsOf(k.pid);
  const main0 = cpuSecondsOf(k.pid, k.pid);
  const wait0 = runqueueWaitSecondsOf(k.pid, k.pid);
  const m0 = machineCpu();
  const mono0 = Number(process.hrtime.bigint() / 1000n);
  const t0 = performance.now();
  const r = await runLoad({
    origin: k.origin,
    concurrency,
    durationMs: durationS * 1000,
    warmupMs: load.warmup === false ? 0 : WARMUP_S * 1000,
    maxRequests: load.maxRequests ?? durationS * 100_000,
    expectStatus: load.expectStatus,
    next: load.next,
    ...(load.onSuccess ? { onSuccess: load.onSuccess } : {}),
  });
  const wall = (performance.now() - t0) / 1000;
  const serverCores = (cpuSecondsOf(k.pid) - cpu0) / wall;
  const mainCores = (cpuSecondsOf(k.pid, k.pid) - main0) / wall;
  const mainWaiting = (runqueueWaitSecondsOf(k.pid, k.pid) - wait0) / wall;
  const m1 = machineCpu();
  const ms = (us: number): number => Math.round(us / 10) / 100;
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  const p: PhaseReport = {
    name,
    concurrency,
    durationS: round2(r.elapsedS),
    requests: r.requests,
    errors: r.errors,
    statuses: r.statuses,
    rps: Math.round(r.rps * 10) / 10,
    p50Ms: ms(r.latency.quantileUs(0.5)),
    p90Ms: ms(r.latency.quantileUs(0.9)),
    p99Ms: ms(r.latency.quantileUs(0.99)),
    maxMs: ms(r.latency.maxUs),
    serverCores: round2(serverCores),
    serverMainThreadCores: round2(mainCores),
    serverMainThreadWaiting: round2(mainWaiting),
    clientCores: round2(r.clientCpu),
    machineBusyCores: round2((m1.busy - m0.busy) / wall),
    machineStealCores: round2((m1.steal - m0.steal) / wall),
    monotonicUs: [mono0, Number(process.hrtime.bigint() / 1000n)],
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
  log(
    `${name}: ${p.rps} req/s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, ${p.errors} errors; cores: server ${p.serverCores} (main thread ${p.serverMainThreadCores}, waiting for a CPU ${Math.round(p.serverMainThreadWaiting * 100)}% of the time), load generator ${p.clientCores}, whole machine ${p.machineBusyCores} (steal ${p.machineStealCores})`,
  );
  if (p.firstError) log(`${name}: first error: ${p.firstError}`);
  return p;
}

function codeVersion(): string {
  const git = (...a: string[]): string => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const rev = git('rev-parse', '--short', 'HEAD') || 'unknown';
  return git('status', '--porcelain', '--untracked-files=no', '--', 'src') ? `${rev} with uncommitted changes in src/` : rev;
}

async function main(): Promise<Report> {
  const machine = machineInfo();
  const code = codeVersion();
  ensureBuilt(log);
  // Other work on the machine skews every figure: measure it, and optionally wait for a quiet moment.
  const quietUntil = performance.now() + WAIT_QUIET_S * 1000;
  let backgroundCores: number;
  for (;;) {
    const c0 = machineCpu();
    await sleep(2000);
    backgroundCores = Math.round(((machineCpu().busy - c0.busy) / 2) * 100) / 100;
    if (backgroundCores <= QUIET_CORES || performance.now() >= quietUntil) break;
  }
  log(`background CPU before the run: ${backgroundCores} cores busy`);
  if (backgroundCores > QUIET_CORES) log('warning: the machine is not idle; figures will be lower and noisier than on a quiet machine');
  tmpRoot = await mkdtemp(join(tmpdir(), 'kumo-bench-'));

  // 1. Start-up time: fresh data dirs (migrations, key setup, bootstrap with one argon2 hash), then a restart.
  const startup: StartupSample[] = [];
  let last = '';
  for (let i = 0; i < STARTUP_RUNS; i++) {
    last = join(tmpRoot, `startup-${i}`);
    const k = await start(last, false);
    startup.push({ kind: 'fresh', readyLineMs: k.readyLineMs, healthyMs: k.healthyMs, selfReportedMs: k.selfReportedMs });
    await stop(k);
  }
  if (last) {
    const k = await start(last, false);
    startup.push({ kind: 'restart', readyLineMs: k.readyLineMs, healthyMs: k.healthyMs, selfReportedMs: k.selfReportedMs });
    await stop(k);
  }

  // 2. The server under load, itself a fresh start.
  const dataDir = join(tmpRoot, 'load');
  const k = await start(dataDir, true);
  startup.push({ kind: 'fresh', readyLineMs: k.readyLineMs, healthyMs: k.healthyMs, selfReportedMs: k.selfReportedMs });
  log(`kumo pid ${k.pid} on ${k.origin}, ready line after ${Math.round(k.readyLineMs)} ms`);
  await sleep(SETTLE_S * 1000);
  const afterStartup = await serverMemory(k);
  log(`idle RSS after start-up: ${afterStartup.rssMiB.toFixed(1)} MiB`);

  // 3. The reference, in this process while the server idles.
  const reference = async (): Promise<Argon2Reference> => {
    const a = await measureArgon2({ threads: 2, durationMs: REFERENCE_S * 1000, ...ARGON2 });
    log(
      `argon2id reference (m=${ARGON2.memoryCost} t=${ARGON2.timeCost} p=1, 2 threads): ${a.rate.toFixed(1)}/s, one alone ${a.singleMs.toFixed(1)} ms`,
    );
    return a;
  };
  const refBefore = await reference();

  const rc = readAdminOpenrc(dataDir);
  const json = { 'content-type': 'application/json' };
  const passwordBody = Buffer.from(
    JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: rc.OS_USERNAME, domain: { name: rc.OS_USER_DOMAIN_NAME }, password: rc.OS_PASSWORD } },
        },
        scope: { project: { name: rc.OS_PROJECT_NAME, domain: { name: rc.OS_PROJECT_DOMAIN_NAME } } },
      },
    }),
  );
  const issueReq = { method: 'POST', path: '/v3/auth/tokens', headers: json, body: passwordBody };

  // The admin token that authorizes validation (one request, outside any measurement).
  let adminToken = '';
  const first = await runLoad({
    origin: k.origin,
    concurrency: 1,
    durationMs: 30_000,
    maxRequests: 1,
    expectStatus: 201,
    next: () => issueReq,
    onSuccess: (r) => void (adminToken = String(r.headers['x-subject-token'] ?? '')),
  });
  if (!adminToken) throw new Error(`could not issue the admin token: ${first.firstError ?? 'no X-Subject-Token'}`);

  const phases: PhaseReport[] = [];
  const pool: string[] = [];
  let poolNext = 0;
  phases.push(
    await phase(k, 'issue (password, project scope)', DURATION_S, CONCURRENCY, {
      expectStatus: 201,
      next: () => issueReq,
      // A ring of recently issued tokens: the subjects for validation.
      onSuccess: (r) => void (pool[poolNext++ % TOKEN_POOL] = String(r.headers['x-subject-token'])),
    }),
  );
  if (pool.length === 0) throw new Error('token issue produced no tokens');
  const refAfter = await reference();
  const argon2 = { ...refBefore, rate: (refBefore.rate + refAfter.rate) / 2, before: refBefore.rate, after: refAfter.rate };

  const validate = (path: string) => (i: number) => ({
    method: 'GET',
    path,
    headers: { 'x-auth-token': adminToken, 'x-subject-token': pool[i % pool.length] },
  });
  phases.push(
    await phase(k, 'validate (GET, with catalog)', DURATION_S, CONCURRENCY, { expectStatus: 200, next: validate('/v3/auth/tokens') }),
  );
  await sleep(SETTLE_S * 1000);
  const afterLoad = await serverMemory(k);
  log(`idle RSS after load: ${afterLoad.rssMiB.toFixed(1)} MiB (peak ${afterLoad.peakRssMiB.toFixed(1)} MiB)`);

  // 4. Extras for the analysis: latency without queueing, the issue path without the password
  //    hash, validation without the cache or the catalog, and the HTTP floor.
  let afterExtras: ServerMemory | undefined;
  if (EXTRAS_S > 0) {
    phases.push(await phase(k, 'issue (password), concurrency 2', EXTRAS_S, 2, { expectStatus: 201, next: () => issueReq }));
    const cold: string[] = [];
    const rescope = Buffer.from(
      JSON.stringify({
        auth: {
          identity: { methods: ['token'], token: { id: adminToken } },
          scope: { project: { name: rc.OS_PROJECT_NAME, domain: { name: rc.OS_PROJECT_DOMAIN_NAME } } },
        },
      }),
    );
    phases.push(
      await phase(k, 'issue (token method: no password hash)', EXTRAS_S, CONCURRENCY, {
        expectStatus: 201,
        maxRequests: COLD_POOL_MAX,
        next: () => ({ method: 'POST', path: '/v3/auth/tokens', headers: json, body: rescope }),
        onSuccess: (r) => void (cold.length < COLD_POOL_MAX && cold.push(String(r.headers['x-subject-token']))),
      }),
    );
    phases.push(
      await phase(k, 'validate (GET, every token new to the cache)', EXTRAS_S, CONCURRENCY, {
        expectStatus: 200,
        warmup: false,
        maxRequests: cold.length,
        next: (i) => ({ method: 'GET', path: '/v3/auth/tokens', headers: { 'x-auth-token': adminToken, 'x-subject-token': cold[i] } }),
      }),
    );
    phases.push(
      await phase(k, 'validate (GET ?nocatalog)', EXTRAS_S, CONCURRENCY, {
        expectStatus: 200,
        next: validate('/v3/auth/tokens?nocatalog'),
      }),
    );
    phases.push(
      await phase(k, 'healthcheck (GET /healthcheck: HTTP plus one SQL ping)', EXTRAS_S, CONCURRENCY, {
        expectStatus: 200,
        next: () => ({ method: 'GET', path: '/healthcheck' }),
      }),
    );
    await sleep(SETTLE_S * 1000);
    afterExtras = await serverMemory(k);
  }
  const threads = threadsOf(k.pid);
  await stop(k);

  return {
    machine,
    code,
    command: `node --import tsx bench/identity/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    settings: { durationS: DURATION_S, concurrency: CONCURRENCY, warmupS: WARMUP_S, extrasS: EXTRAS_S },
    startup,
    memory: { afterStartup, afterLoad, ...(afterExtras ? { afterExtras } : {}), threads },
    argon2,
    backgroundCores,
    phases,
  };
}

function markdown(r: Report): string {
  const f = (n: number, d = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const [issue, validate, ...extras] = r.phases;
  const fresh = r.startup.filter((s) => s.kind === 'fresh');
  const restart = r.startup.find((s) => s.kind === 'restart');
  const readyMed = median(fresh.map((s) => s.readyLineMs));
  const readyMax = Math.max(...fresh.map((s) => s.readyLineMs));
  const healthMed = median(fresh.map((s) => s.healthyMs));
  const healthMax = Math.max(...fresh.map((s) => s.healthyMs));
  const rows: string[][] = [];
  if (issue) {
    rows.push(['Token issue (password, project scope), req/s', f(issue.rps), `≥ ${TARGETS.issueRps}`, mark(issue.rps >= TARGETS.issueRps)]);
    rows.push([
      'Token issue latency p50 / p90 / p99 (max)',
      `${f(issue.p50Ms)} / ${f(issue.p90Ms)} / ${f(issue.p99Ms)} ms (${f(issue.maxMs)})`,
      `p99 < ${TARGETS.p99Ms} ms`,
      mark(issue.p99Ms < TARGETS.p99Ms),
    ]);
  }
  rows.push([
    `Reference: argon2id verify, m=${r.argon2.params.memoryCost} t=${r.argon2.params.timeCost} p=1, ${r.argon2.threads} threads, /s`,
    `${f(r.argon2.rate)} (before ${f(r.argon2.before)}, after ${f(r.argon2.after)}; one alone: ${f(r.argon2.singleMs)} ms)`,
    '',
    '',
  ]);
  if (issue) rows.push(['Token issue rate / argon2id rate', f(issue.rps / r.argon2.rate, 2), '', '']);
  if (validate) {
    rows.push([
      'Token validate (GET, catalog), req/s',
      f(validate.rps, 0),
      `≥ ${f(TARGETS.validateRps, 0)}`,
      mark(validate.rps >= TARGETS.validateRps),
    ]);
    rows.push([
      'Token validate latency p50 / p90 / p99 (max)',
      `${f(validate.p50Ms, 2)} / ${f(validate.p90Ms, 2)} / ${f(validate.p99Ms, 2)} ms (${f(validate.maxMs)})`,
      `p99 < ${TARGETS.p99Ms} ms`,
      mark(validate.p99Ms < TARGETS.p99Ms),
    ]);
  }
  rows.push([
    `Start-up, spawn → "ready in" line (median / max of ${fresh.length} fresh)`,
    `${f(readyMed, 0)} / ${f(readyMax, 0)} ms`,
    `< ${f(TARGETS.startupMs, 0)} ms`,
    mark(readyMax < TARGETS.startupMs),
  ]);
  rows.push([
    `Start-up, spawn → first 200 /healthcheck (median / max)`,
    `${f(healthMed, 0)} / ${f(healthMax, 0)} ms`,
    `< ${f(TARGETS.startupMs, 0)} ms`,
    mark(healthMax < TARGETS.startupMs),
  ]);
  rows.push([`Start-up as printed by kumo ("ready in N ms", median)`, `${f(median(fresh.map((s) => s.selfReportedMs)), 0)} ms`, '', '']);
  if (restart)
    rows.push([
      'Restart on existing data, spawn → "ready in" line',
      `${f(restart.readyLineMs, 0)} ms`,
      `< ${f(TARGETS.startupMs, 0)} ms`,
      mark(restart.readyLineMs < TARGETS.startupMs),
    ]);
  const mem = (m: ServerMemory, peak: boolean): string =>
    `${f(m.rssMiB)} MiB = ${f(m.rssMiB * 1.048576)} MB (anon ${f(m.anonMiB)} + file ${f(m.fileMiB)}; V8 heap ${f(m.heapUsedMiB)} used of ${f(m.heapTotalMiB)}${peak ? `; peak RSS ${f(m.peakRssMiB)}` : ''})`;
  const rssOk = (m: ServerMemory): string => mark(m.rssMiB * 1.048576 < TARGETS.idleRssMB);
  rows.push([
    `Idle RSS after start-up (${f(SETTLE_S, 0)} s settle)`,
    mem(r.memory.afterStartup, false),
    `< ${TARGETS.idleRssMB} MB`,
    rssOk(r.memory.afterStartup),
  ]);
  rows.push([
    `Idle RSS after the issue + validate load (${f(SETTLE_S, 0)} s settle)`,
    mem(r.memory.afterLoad, true),
    `< ${TARGETS.idleRssMB} MB`,
    rssOk(r.memory.afterLoad),
  ]);
  if (r.memory.afterExtras) {
    const cold = r.phases.find((p) => p.name.includes('new to the cache'))?.requests ?? 0;
    rows.push([
      `Idle RSS after the extra loads too (${f(cold, 0)} more tokens validated once)`,
      mem(r.memory.afterExtras, true),
      `(< ${TARGETS.idleRssMB} MB)`,
      rssOk(r.memory.afterExtras),
    ]);
  }
  const out = ['| Measurement | Result | Target | |', '|---|---|---|---|', ...rows.map((c) => `| ${c.join(' | ')} |`)];
  out.push(
    '',
    '| Load phase | concurrency | req/s | p50 ms | p99 ms | errors | req per server CPU-second | server CPU (cores): all threads / main thread | main thread waiting for a CPU | load generator CPU (cores) | rest of the machine (cores) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const p of [issue, validate, ...extras]) {
    if (p)
      out.push(
        `| ${p.name} | ${p.concurrency} | ${f(p.rps)} | ${f(p.p50Ms, 2)} | ${f(p.p99Ms, 2)} | ${p.errors} | ${f(p.rps / p.serverCores, 0)} | ${f(p.serverCores, 2)} / ${f(p.serverMainThreadCores, 2)} | ${f(p.serverMainThreadWaiting * 100, 0)}% | ${f(p.clientCores, 2)} | ${f(Math.max(0, p.machineBusyCores - p.serverCores - p.clientCores), 2)} |`,
      );
  }
  const m = r.machine;
  out.push(
    '',
    `Code: ${r.code}.`,
    `Machine: ${m.cpus} CPUs (nproc), ${m.model}, ${f(m.memoryGiB)} GiB RAM, Linux ${m.kernel}, Node ${m.node}; ${m.date}.`,
    `Settings: ${Object.keys(SERVER_ENV).length ? `server environment ${JSON.stringify(SERVER_ENV)}, ` : ''}${r.settings.durationS} s per main phase, ${r.settings.extrasS} s per extra phase, ${r.settings.warmupS} s unmeasured warm-up, concurrency ${r.settings.concurrency}, server threads at the end ${r.memory.threads}; other CPU use on the machine before the run: ${f(r.backgroundCores, 2)} cores.`,
    `Command: \`${r.command}\``,
  );
  return out.join('\n');
}

try {
  const report = await main();
  if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2));
  process.stdout.write(`${markdown(report)}\n`);
} catch (e) {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
