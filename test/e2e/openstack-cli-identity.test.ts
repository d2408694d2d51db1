/**
 * The Keystone install guide, step by step, with the real `openstack` CLI
 * (python3-openstackclient) against `kumo up`: admin-openrc, domains,
 * projects, users, roles, role assignment, tokens for admin and a demo user,
 * services and endpoints, clouds.yaml, and a restart keeping every piece.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_TIMEOUT_MS = 30_000;

type Env = Record<string, string>;
interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

/** Why the suite cannot run here; in CI a missing CLI is a failure, not a skip. */
const skipReason = !onPath('openstack') && !process.env.CI ? 'the openstack CLI (python3-openstackclient) is not installed' : undefined;

/** Words of a shell assignment value: 'single', "double" (no expansion) and backslash escapes. */
function shellWord(raw: string): string {
  let out = '';
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)|([^'"\\\s]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw.trim())) !== null) {
    out += m[1] ?? (m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : undefined) ?? m[3] ?? m[4] ?? '';
  }
  return out;
}

/** The variables an openrc file exports (`export K='v'` or `export K=v`), without sourcing it. */
function parseOpenrc(text: string): Env {
  const env: Env = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = shellWord(m[2]!);
  }
  return env;
}

/** A minimal environment: no OS_* or KUMO_* from the developer's shell, no ~/.config/openstack. */
function baseEnv(home: string): Env {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', PYTHONWARNINGS: 'ignore' };
}

function openstack(args: string[], env: Env): Promise<CliResult> {
  return new Promise((done) => {
    execFile('openstack', args, { env, timeout: CLI_TIMEOUT_MS, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs a command that must succeed; with `-f json` added, returns the parsed output. */
async function ok(args: string[], env: Env): Promise<any> {
  const r = await openstack(args, env);
  assert.equal(r.code, 0, `openstack ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  if (!args.includes('json')) return r.stdout;
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`openstack ${args.join(' ')} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

async function json(args: string[], env: Env): Promise<any> {
  return ok([...args, '-f', 'json'], env);
}

function freePort(): Promise<number> {
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
function newestSource(dir: string): number {
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
function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0)
    process.stderr.write(`# tsc -p tsconfig.build.json reported (continuing with what it emitted):\n${r.stdout}${r.stderr}`);
  assert.ok(existsSync(main), `dist/cli/main.js missing after build:\n${r.stdout}${r.stderr}`);
}

/** `kumo up` as a child process; resolves once it prints "ready in". */
class KumoProcess {
  readonly stderr: string[] = [];
  readonly stdout: string[] = [];
  child: ChildProcess | undefined;
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    private readonly home: string,
  ) {}

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'kumo.js'), 'up', '--data-dir', this.dataDir, '--host', '127.0.0.1', '--identity-port', String(this.port)],
      { cwd: ROOT, env: { ...baseEnv(this.home), KUMO_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
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

  diagnostics(): string {
    return `kumo stdout:\n${this.stdout.join('')}\nkumo stderr:\n${this.stderr.join('')}`;
  }
}

describe('openstack CLI against kumo up (Keystone install guide)', { skip: skipReason ?? false, timeout: 180_000 }, () => {
  let tmp: string;
  let dataDir: string;
  let home: string;
  let kumo: KumoProcess;
  let admin: Env;
  let authUrl: string;
  let adminOpenrc: string;
  const ids: Record<string, string> = {};
  const MYUSER_PASSWORD = "my user's pass";
  const GLANCE_URL = 'http://controller:9292';

  /** Admin env without OS_AUTH_URL and OS_PASSWORD, as after `unset OS_AUTH_URL OS_PASSWORD`. */
  const unset = (): Env => {
    const env = { ...admin };
    delete env.OS_AUTH_URL;
    delete env.OS_PASSWORD;
    return env;
  };

  before(async () => {
    assert.ok(onPath('openstack'), 'CI requires the openstack CLI (apt install python3-openstackclient)');
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-'));
    dataDir = join(tmp, 'data');
    home = join(tmp, 'home');
    await mkdir(home);
    kumo = new KumoProcess(dataDir, await freePort(), home);
    await kumo.start();
    adminOpenrc = await readFile(join(dataDir, 'admin-openrc'), 'utf8');
    admin = { ...baseEnv(home), ...parseOpenrc(adminOpenrc) };
    authUrl = admin.OS_AUTH_URL!;
  });

  after(async () => {
    if (kumo) {
      const { code, signal } = await kumo.stop();
      if (code !== 0 && code !== null) process.stderr.write(`# kumo up ended with ${code ?? signal}\n${kumo.diagnostics()}\n`);
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('kumo up writes admin-openrc and clouds.yaml readable by the owner only', async () => {
    for (const f of ['admin-openrc', 'clouds.yaml']) {
      assert.equal((await stat(join(dataDir, f))).mode & 0o777, 0o600, f);
    }
    assert.equal(admin.OS_USERNAME, 'admin');
    assert.equal(admin.OS_PROJECT_NAME, 'admin');
    assert.equal(admin.OS_IDENTITY_API_VERSION, '3');
    assert.match(authUrl, /^http:\/\/127\.0\.0\.1:\d+\/v3$/);
    assert.ok((admin.OS_PASSWORD ?? '').length >= 12);
  });

  it('openstack token issue (admin-openrc)', async () => {
    const t = await json(['token', 'issue'], admin);
    assert.match(t.id, /^gAAAAA/);
    assert.match(t.project_id, /^[0-9a-f]{32}$/);
    assert.match(t.user_id, /^[0-9a-f]{32}$/);
    assert.ok(Date.parse(t.expires.replace(/\+0000$/, 'Z')) > Date.now());
    ids.adminProject = t.project_id;
    ids.adminUser = t.user_id;
  });

  it('openstack domain create / list', async () => {
    const d = await json(['domain', 'create', '--description', 'Domain Ottawa', 'example'], admin);
    assert.equal(d.name, 'example');
    assert.equal(d.description, 'Domain Ottawa');
    assert.equal(d.enabled, true);
    assert.match(d.id, /^[0-9a-f]{32}$/);
    const list = await json(['domain', 'list'], admin);
    assert.deepEqual(list.map((x: { Name: string }) => x.Name).sort(), ['Default', 'example']);
  });

  it('openstack project create --domain default (service, myproject)', async () => {
    const service = await json(['project', 'create', '--domain', 'default', '--description', 'Service Project', 'service'], admin);
    assert.equal(service.name, 'service');
    assert.equal(service.domain_id, 'default');
    assert.equal(service.parent_id, 'default');
    assert.equal(service.is_domain, false);
    assert.equal(service.enabled, true);
    assert.match(service.id, /^[0-9a-f]{32}$/);
    ids.service = service.id;
    const mine = await json(['project', 'create', '--domain', 'default', '--description', 'Demo Project', 'myproject'], admin);
    assert.equal(mine.description, 'Demo Project');
    ids.myproject = mine.id;
    const list = await json(['project', 'list'], admin);
    assert.deepEqual(list.map((x: { Name: string }) => x.Name).sort(), ['admin', 'myproject', 'service']);
    const dup = await openstack(['project', 'create', '--domain', 'default', 'service'], admin);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /HTTP 409/);
  });

  it('openstack user create --domain default --password, role create, role add', async () => {
    const u = await json(['user', 'create', '--domain', 'default', '--password', MYUSER_PASSWORD, 'myuser'], admin);
    assert.equal(u.name, 'myuser');
    assert.equal(u.domain_id, 'default');
    assert.equal(u.enabled, true);
    assert.equal(u.password_expires_at, null);
    assert.ok(!('password' in u), 'the password is never shown');
    ids.myuser = u.id;
    const r = await json(['role', 'create', 'myrole'], admin);
    assert.equal(r.name, 'myrole');
    assert.equal(r.domain_id, null);
    ids.myrole = r.id;

    assert.equal(await ok(['role', 'add', '--project', 'myproject', '--user', 'myuser', 'myrole'], admin), '');
    const assignments = await json(['role', 'assignment', 'list', '--project', 'myproject', '--user', 'myuser', '--names'], admin);
    assert.deepEqual(
      assignments.map((a: Record<string, string>) => [a.Role, a.User, a.Project]),
      [['myrole', 'myuser@Default', 'myproject@Default']],
    );
    const users = await json(['user', 'list'], admin);
    assert.deepEqual(users.map((x: { Name: string }) => x.Name).sort(), ['admin', 'myuser']);
  });

  it('token issue with explicit --os-* options after unset OS_AUTH_URL OS_PASSWORD', async () => {
    const common = ['--os-auth-url', authUrl, '--os-project-domain-name', 'Default', '--os-user-domain-name', 'Default'];
    const a = await json(
      [...common, '--os-project-name', 'admin', '--os-username', 'admin', '--os-password', admin.OS_PASSWORD!, 'token', 'issue'],
      unset(),
    );
    assert.equal(a.project_id, ids.adminProject);
    assert.equal(a.user_id, ids.adminUser);
    const d = await json(
      [...common, '--os-project-name', 'myproject', '--os-username', 'myuser', '--os-password', MYUSER_PASSWORD, 'token', 'issue'],
      unset(),
    );
    assert.equal(d.project_id, ids.myproject);
    assert.equal(d.user_id, ids.myuser);
    assert.match(d.id, /^gAAAAA/);
    const bad = await openstack(
      [...common, '--os-project-name', 'myproject', '--os-username', 'myuser', '--os-password', 'wrong', 'token', 'issue'],
      unset(),
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /HTTP 401/);
  });

  it('demo-openrc: the demo user gets a myproject token but cannot list users', async () => {
    const demoFile = join(tmp, 'demo-openrc');
    const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
    await writeFile(
      demoFile,
      [
        'export OS_PROJECT_DOMAIN_NAME=Default',
        'export OS_USER_DOMAIN_NAME=Default',
        'export OS_PROJECT_NAME=myproject',
        'export OS_USERNAME=myuser',
        `export OS_PASSWORD=${q(MYUSER_PASSWORD)}`,
        `export OS_AUTH_URL=${authUrl}`,
        'export OS_IDENTITY_API_VERSION=3',
        'export OS_IMAGE_API_VERSION=2',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const demo = { ...baseEnv(home), ...parseOpenrc(await readFile(demoFile, 'utf8')) };
    assert.equal(demo.OS_PASSWORD, MYUSER_PASSWORD);
    const t = await json(['token', 'issue'], demo);
    assert.equal(t.project_id, ids.myproject);
    assert.equal(t.user_id, ids.myuser);

    const denied = await openstack(['user', 'list'], demo);
    assert.notEqual(denied.code, 0, denied.stdout);
    assert.match(denied.stderr, /HTTP 403/);
    assert.match(denied.stderr, /identity:list_users/);
    const grant = await openstack(['role', 'add', '--project', 'myproject', '--user', 'myuser', 'admin'], demo);
    assert.notEqual(grant.code, 0, 'a member must not grant itself roles');
    assert.match(grant.stderr, /HTTP 403/);
  });

  it('service user, service, endpoints (public, internal, admin), endpoint list and catalog list', async () => {
    const glance = await json(['user', 'create', '--domain', 'default', '--password', 'glance-pass', 'glance'], admin);
    ids.glance = glance.id;
    assert.equal(await ok(['role', 'add', '--project', 'service', '--user', 'glance', 'admin'], admin), '');
    const s = await json(['service', 'create', '--name', 'glance', '--description', 'OpenStack Image', 'image'], admin);
    assert.equal(s.name, 'glance');
    assert.equal(s.type, 'image');
    assert.equal(s.description, 'OpenStack Image');
    assert.equal(s.enabled, true);
    ids.imageService = s.id;

    for (const iface of ['public', 'internal', 'admin']) {
      const e = await json(['endpoint', 'create', '--region', 'RegionOne', 'image', iface, GLANCE_URL], admin);
      assert.equal(e.interface, iface);
      assert.equal(e.region, 'RegionOne');
      assert.equal(e.service_id, s.id);
      assert.equal(e.service_name, 'glance');
      assert.equal(e.service_type, 'image');
      assert.equal(e.url, GLANCE_URL);
      assert.equal(e.enabled, true);
      ids[`endpoint-${iface}`] = e.id;
    }
    const list = await json(['endpoint', 'list'], admin);
    const image = list.filter((e: Record<string, string>) => e['Service Type'] === 'image');
    assert.deepEqual(image.map((e: Record<string, string>) => e.Interface).sort(), ['admin', 'internal', 'public']);
    assert.ok(
      image.every((e: Record<string, unknown>) => e.URL === GLANCE_URL && e.Region === 'RegionOne' && e['Service Name'] === 'glance'),
    );
    assert.equal(list.filter((e: Record<string, string>) => e['Service Type'] === 'identity').length, 3);

    const catalog = await json(['catalog', 'list'], admin);
    const entry = catalog.find((c: { Type: string }) => c.Type === 'image');
    assert.ok(entry, JSON.stringify(catalog));
    assert.equal(entry.Name, 'glance');
    assert.match(JSON.stringify(entry.Endpoints), /controller:9292/);
    assert.ok(catalog.some((c: { Type: string; Name: string }) => c.Type === 'identity' && c.Name === 'keystone'));

    const svcToken = await json(
      [
        '--os-auth-url',
        authUrl,
        '--os-project-domain-name',
        'Default',
        '--os-user-domain-name',
        'Default',
        '--os-project-name',
        'service',
        '--os-username',
        'glance',
        '--os-password',
        'glance-pass',
        'token',
        'issue',
      ],
      unset(),
    );
    assert.equal(svcToken.project_id, ids.service);
  });

  it('openstack endpoint delete removes the endpoint', async () => {
    const id = ids['endpoint-internal']!;
    assert.equal(await ok(['endpoint', 'delete', id], admin), '');
    const list = await json(['endpoint', 'list', '--service', 'image'], admin);
    assert.deepEqual(list.map((e: Record<string, string>) => e.Interface).sort(), ['admin', 'public']);
    assert.ok(!list.some((e: Record<string, string>) => e.ID === id));
    const gone = await openstack(['endpoint', 'show', id], admin);
    assert.notEqual(gone.code, 0);
  });

  it('openstack --os-cloud kumo token issue with OS_CLIENT_CONFIG_FILE=clouds.yaml', async () => {
    const env = { ...baseEnv(home), OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') };
    const t = await json(['--os-cloud', 'kumo', 'token', 'issue'], env);
    assert.equal(t.project_id, ids.adminProject);
    assert.equal(t.user_id, ids.adminUser);
  });

  it('restarting kumo up on the same data dir keeps everything', async () => {
    const stopped = await kumo.stop();
    assert.deepEqual(stopped, { code: 0, signal: null }, kumo.diagnostics());
    kumo = new KumoProcess(dataDir, Number(new URL(authUrl).port), home);
    await kumo.start();
    assert.equal(await readFile(join(dataDir, 'admin-openrc'), 'utf8'), adminOpenrc, 'admin-openrc is kept as it was');

    const t = await json(['token', 'issue'], admin);
    assert.equal(t.project_id, ids.adminProject);
    const projects = await json(['project', 'list'], admin);
    assert.deepEqual(projects.map((x: { Name: string }) => x.Name).sort(), ['admin', 'myproject', 'service']);
    const u = await json(['user', 'show', 'myuser'], admin);
    assert.equal(u.id, ids.myuser);
    const endpoints = await json(['endpoint', 'list', '--service', 'image'], admin);
    assert.equal(endpoints.length, 2);
    const d = await json(
      [
        '--os-auth-url',
        authUrl,
        '--os-project-domain-name',
        'Default',
        '--os-user-domain-name',
        'Default',
        '--os-project-name',
        'myproject',
        '--os-username',
        'myuser',
        '--os-password',
        MYUSER_PASSWORD,
        'token',
        'issue',
      ],
      unset(),
    );
    assert.equal(d.project_id, ids.myproject);
  });
});
