/**
 * The admin commands beside `kumo up`: fernet setup/rotate, db migrate,
 * bootstrap with a chosen password, and a clear error when the port is taken.
 * Runs the built CLI (dist/) as a user would.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..', '..');
const KUMO = join(ROOT, 'bin', 'kumo.js');

function kumo(args: string[], env: Record<string, string> = {}): { code: number; out: string } {
  const r = spawnSync(process.execPath, [KUMO, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUMO_LOG_LEVEL: 'warn', ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** Starts `kumo up`; resolves once it printed its ready line. */
function up(dataDir: string, port: number): Promise<{ child: ChildProcess; out: () => string; exited: Promise<number> }> {
  const child = spawn(
    process.execPath,
    [
      KUMO,
      'up',
      '--data-dir',
      dataDir,
      '--identity-port',
      String(port),
      '--image-port',
      '0',
      '--dashboard-port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`kumo up not ready:\n${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('ready in')) {
        clearTimeout(timer);
        res({ child, out: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((c) => {
      clearTimeout(timer);
      rej(new Error(`kumo up exited ${c}:\n${out}`));
    });
  });
}

async function token(port: number, password: string): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } } },
    }),
  });
  return r.status;
}

describe('kumo admin commands', () => {
  let dir: string;
  const started: ChildProcess[] = [];
  before(async () => {
    if (spawnSync(process.execPath, [KUMO, '--help']).status !== 0)
      spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    dir = await mkdtemp(join(tmpdir(), 'kumo-admin-'));
  });
  after(async () => {
    for (const c of started) if (c.exitCode === null) c.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('sets up and rotates Fernet keys like keystone-manage', async () => {
    assert.equal(kumo(['fernet', 'setup', '--data-dir', dir]).code, 0);
    assert.deepEqual((await readdir(join(dir, 'fernet-keys'))).sort(), ['0', '1']);
    const r = kumo(['fernet', 'rotate', '--data-dir', dir]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual((await readdir(join(dir, 'fernet-keys'))).sort(), ['0', '1', '2']);
  });

  it('migrates, then reports the database up to date', () => {
    const first = kumo(['db', 'migrate', '--data-dir', dir]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /applied 0001_initial/);
    assert.match(kumo(['db', 'migrate', '--data-dir', dir]).out, /up to date/);
  });

  it('bootstraps with a chosen password that `kumo up` then serves', async () => {
    const b = kumo(['bootstrap', '--data-dir', dir, '--admin-password', 'chosen-admin-pw', '--identity-port', '5999']);
    assert.equal(b.code, 0, b.out);
    assert.match(b.out, /admin credentials written/);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const cloud = await up(dir, port);
    started.push(cloud.child);
    assert.equal(await token(port, 'chosen-admin-pw'), 201);
    assert.equal(await token(port, 'wrong'), 401);

    const again = spawnSync(process.execPath, [KUMO, 'up', '--data-dir', dir, '--identity-port', String(port), '--image-port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(again.status, 1);
    assert.match(`${again.stdout}${again.stderr}`, /port \d+ .*in use/);

    cloud.child.kill('SIGTERM');
    assert.equal(await cloud.exited, 0, cloud.out());
  });

  it('refuses a bad configuration with a clear message', () => {
    const r = kumo(['up', '--data-dir', dir], { KUMO_IDENTITY_PORT: 'five' });
    assert.equal(r.code, 1);
    assert.match(r.out, /configuration error: identity.port \(from KUMO_IDENTITY_PORT\) must be an integer/);
  });
});
