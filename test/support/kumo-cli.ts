/**
 * Driving a real `kumo up` and the real `openstack` CLI from end-to-end tests.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_TIMEOUT_MS = 30_000;

export type Env = Record<string, string>;
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** Words of a shell assignment value: 'single', "double" (no expansion) and backslash escapes. */
export function shellWord(raw: string): string {
  let out = '';
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\\s]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw.trim())) !== null) {
    out += m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : undefined) ?? m[3] ?? m[4] ?? '';
  }
  return out;
}

/** The variables an openrc file exports (`export K='v'` or `export K=v`), without sourcing it. */
export function parseOpenrc(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = shellWord(m[2]!);
  }
  return env;
}

/** A minimal environment: no OS_* or KUMO_* from the developer's shell, no ~/.config/openstack. */
export function baseEnv(home: string): Env {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', PYTHONWARNINGS: 'ignore' };
}

export function openstack(args: string[], env: Env): Promise<CliResult> {
  return new Promise((done) => {
    execFile('openstack', args, { env, timeout: CLI_TIMEOUT_MS, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a command that must succeed; with `-f json` added, returns the parsed output. */
export async function ok(args: string[], env: Env): Promise<any> {
  const r = await openstack(args, env);
  assert.equal(r.code, 0, `openstack ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  if (!args.includes('json')) return r.stdout;
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`openstack ${args.join(' ')} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

export async function json(args: string[], env: Env): Promise<any> {
  return ok([...args, '-f', 'json'], env);
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** Newest modification time of the non-test TypeScript under src/. */
export function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/ (type errors elsewhere do not stop tsc emitting). */
export function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0)
    process.stderr.write(`# tsc -p tsconfig.build.json reported (continuing with what it emitted):\n${r.stdout}${r.stderr}`);
  assert.ok(existsSync(main), `dist/cli/main.js missing after build:\n${r.stdout}${r.stderr}`);
}

/** Builds the dashboard (dashboard/dist) when it is missing or older than its sources. */
export function ensureDashboardBuilt(): void {
  const index = join(ROOT, 'dashboard', 'dist', 'index.html');
  const newest = Math.max(
    ...readdirSync(join(ROOT, 'dashboard', 'src'), { recursive: true }).map(
      (f) => statSync(join(ROOT, 'dashboard', 'src', String(f))).mtimeMs,
    ),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', 'dashboard', '--logLevel', 'warn'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `vite build dashboard failed:\n${r.stdout}${r.stderr}`);
}

/** `kumo up` as a child process; resolves once it prints "ready in". */
export class KumoProcess {
  readonly stderr: string[] = [];
  readonly stdout: string[] = [];
  child: ChildProcess | undefined;
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    private readonly home: string,
    /** Ports of the other services (0: the kernel picks, so parallel tests never collide). */
    private readonly extraArgs: string[] = ['--image-port', '0'],
    /** Extra environment (KUMO_* settings without a flag). */
    private readonly env: Env = {},
  ) {}

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'kumo.js'),
        'up',
        '--data-dir',
        this.dataDir,
        '--host',
        '127.0.0.1',
        '--identity-port',
        String(this.port),
        // Services a test does not name get ports the kernel picks; the agent is fake unless asked.
        ...['--placement-port', '0', '--compute-port', '0', '--network-port', '0', '--console-port', '0', '--dashboard-port', '0'],
        ...(this.extraArgs.includes('--driver') ? [] : ['--driver', 'fake']),
        ...this.extraArgs,
      ],
      { cwd: ROOT, env: { ...baseEnv(this.home), KUMO_LOG_LEVEL: 'warn', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.#exit = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    child.stderr.setEncoding('utf8').on('data', (d: string) => this.stderr.push(d));
    await new Promise<void>((ready, fail) => {
      let out = '';
      const timer = setTimeout(
        () => fail(new Error(`kumo up not ready after 30 s\nstdout:\n${out}\nstderr:\n${this.stderr.join('')}`)),
        30_000,
      );
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        this.stdout.push(d);
        out += d;
        if (out.includes('ready in')) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`kumo up exited with ${code} before it was ready\nstdout:\n${out}\nstderr:\n${this.stderr.join('')}`));
      });
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM by pid; resolves with how it ended (SIGKILL after 10 s). */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.#exit) return { code: null, signal: null };
    if (this.running && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    const killer = setTimeout(() => {
      if (this.running && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 10_000);
    const result = await this.#exit;
    clearTimeout(killer);
    return result;
  }

  /** What kumo printed, and the warnings and errors of its log (the log says why a build failed). */
  /** The first group of `re` in what kumo printed (e.g. the dashboard's URL). */
  printed(re: RegExp): string | undefined {
    return re.exec(this.stdout.join(''))?.[1];
  }

  diagnostics(): string {
    let log: string;
    try {
      const lines = readFileSync(join(this.dataDir, 'kumo.log'), 'utf8').split('\n');
      log = lines
        .filter((l) => /"level":(40|50|60)/.test(l))
        .slice(-30)
        .join('\n');
    } catch {
      log = '(no kumo.log)';
    }
    return `kumo stdout:\n${this.stdout.join('')}\nkumo stderr:\n${this.stderr.join('')}\nkumo.log warnings and errors:\n${log}`;
  }
}

/** A user's project-scoped password login, as admin-openrc describes one. */
export interface PasswordLogin {
  username: string;
  password: string;
  projectName: string;
  /** Domain of both the user and the project. */
  domainName: string;
}

/** Issues a project-scoped token (POST /v3/auth/tokens) and returns it with the user's id. */
export async function issuePasswordToken(authUrl: string, login: PasswordLogin): Promise<{ token: string; userId: string }> {
  const domain = { name: login.domainName };
  const r = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: login.username, domain, password: login.password } } },
        scope: { project: { name: login.projectName, domain } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`authentication of ${login.username} failed: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { token: { user: { id: string } } };
  return { token: r.headers.get('x-subject-token') ?? '', userId: body.token.user.id };
}

/** The admin login written in admin-openrc. */
export function openrcLogin(openrc: Env): PasswordLogin {
  return {
    username: openrc.OS_USERNAME ?? 'admin',
    password: openrc.OS_PASSWORD ?? '',
    projectName: openrc.OS_PROJECT_NAME ?? 'admin',
    domainName: openrc.OS_USER_DOMAIN_NAME ?? 'Default',
  };
}
