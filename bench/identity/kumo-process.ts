/**
 * Starts a real `kumo up` (the compiled CLI, as users run it) for the
 * benchmark, times its start-up, and stops it by pid. Only ever talks to
 * 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface KumoProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly origin: string;
  readonly dataDir: string;
  /** Spawn → the `kumo: ready in N ms` line on stdout. */
  readonly readyLineMs: number;
  /** The N the server itself printed in `ready in N ms` (measured from inside the process). */
  readonly selfReportedMs: number;
  /** Spawn → first 200 from GET /healthcheck. */
  readonly healthyMs: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  /** Image API port (default 0: the kernel picks one). */
  imagePort?: number;
  /** Dashboard port (default 0: the kernel picks one). */
  dashboardPort?: number;
  /** Compute agent driver (default fake). */
  driver?: 'fake' | 'qemu';
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** Extra node flags before the script (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  timeoutMs?: number;
}

/** A port nobody listens on right now (there is a small race until kumo binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string, keep: (name: string) => boolean): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, keep));
    else if (keep(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Runs `npm run build` when dist/ is missing or older than src/. Other people
 * may be mid-edit in src/, so a build with type errors (tsc still emits) only
 * warns, as long as dist/cli/main.js exists.
 */
export function ensureBuilt(log: (msg: string) => void): void {
  const main = join(ROOT, 'dist/cli/main.js');
  let built: number;
  try {
    built = statSync(main).mtimeMs;
  } catch {
    built = 0;
  }
  const src = newestMtime(join(ROOT, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'));
  if (built >= src) return;
  log(built === 0 ? 'dist/ is missing: npm run build' : 'dist/ is older than src/: npm run build');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) {
    try {
      statSync(main);
    } catch {
      throw new Error(`npm run build failed and dist/cli/main.js is missing:\n${r.stdout}${r.stderr}`);
    }
    log(
      `warning: npm run build reported errors (output was still emitted):\n${(r.stdout + r.stderr).trim().split('\n').slice(0, 10).join('\n')}`,
    );
  }
}

function healthOnce(origin: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(`${origin}/healthcheck`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A clean environment: no inherited KUMO_* settings (defaults are what we measure) and no inherited NODE_OPTIONS. */
function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KUMO_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

export async function startKumo(opts: StartOptions): Promise<KumoProcess> {
  const port = opts.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const args = [
    ...(opts.nodeArgs ?? []),
    'bin/kumo.js',
    'up',
    '--data-dir',
    opts.dataDir,
    '--host',
    '127.0.0.1',
    '--identity-port',
    String(port),
    '--image-port',
    String(opts.imagePort ?? 0),
    ...[
      '--placement-port',
      '0',
      '--compute-port',
      '0',
      '--network-port',
      '0',
      '--console-port',
      '0',
      '--dashboard-port',
      String(opts.dashboardPort ?? 0),
      '--driver',
      opts.driver ?? 'fake',
    ],
    '--log-level',
    'warn',
  ];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: serverEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn kumo');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  let exited: string | undefined;
  const exitedP = new Promise<void>((resolve) =>
    child.once('exit', (code, sig) => {
      exited = `kumo exited (code ${code}, signal ${sig})`;
      resolve();
    }),
  );

  const ready = new Promise<{ at: number; self: number }>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /kumo: ready in (\d+) ms/.exec(out);
      if (m) {
        resolve({ at: performance.now() - t0, self: Number(m[1]) });
        out = '';
      } else if (out.length > 100_000) out = out.slice(-1000);
    });
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      if (!exited) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }, 15_000);
    await exitedP;
    clearTimeout(timer);
  };

  try {
    const deadline = t0 + (opts.timeoutMs ?? 30_000);
    let healthyMs = NaN;
    while (performance.now() < deadline) {
      if (exited) throw new Error(`${exited} before becoming healthy:\n${stderr}`);
      if ((await healthOnce(origin)) === 200) {
        healthyMs = performance.now() - t0;
        break;
      }
      await sleep(5);
    }
    if (Number.isNaN(healthyMs)) throw new Error(`kumo was not healthy within ${opts.timeoutMs ?? 30_000} ms:\n${stderr}`);
    const r = await Promise.race([ready, sleep(Math.max(0, deadline - performance.now())).then(() => undefined)]);
    if (!r) throw new Error(`kumo never printed "ready in":\n${stderr}`);
    return {
      child,
      pid,
      port,
      origin,
      dataDir: opts.dataDir,
      readyLineMs: r.at,
      selfReportedMs: r.self,
      healthyMs,
      stderrTail: () => stderr,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The admin credentials `kumo up` wrote into the data dir. */
export function readAdminOpenrc(dataDir: string): Record<string, string> {
  const text = readFileSync(join(dataDir, 'admin-openrc'), 'utf8');
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export (OS_[A-Z_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2] ?? '';
    // Values are single-quoted shell words with '\'' for embedded quotes.
    if (v.startsWith("'")) v = v.slice(1, -1).replaceAll("'\\''", "'");
    vars[m[1]!] = v;
  }
  return vars;
}
