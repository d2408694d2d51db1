/**
 * Scale-out: two `kumo serve identity` processes share one MariaDB or
 * PostgreSQL database and one key repository, as two API nodes behind a load
 * balancer would. A token issued by one validates on the other, and a
 * revocation on one reaches the other.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseBackends, type Backend } from '../support/db-backends.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const KUMO = join(ROOT, 'bin', 'kumo.js');
const backends = (await databaseBackends()).filter((b) => b.name !== 'sqlite');

function serve(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [KUMO, 'serve', 'identity', '--identity-port', String(port), '--log-level', 'warn'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serve not ready:\n${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('identity serving on')) {
        clearTimeout(timer);
        res(child);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (c) => {
      clearTimeout(timer);
      rej(new Error(`serve exited ${c}:\n${out}`));
    });
  });
}

const base = (port: number): string => `http://127.0.0.1:${port}/v3`;

async function issue(port: number, password: string): Promise<string> {
  const r = await fetch(`${base(port)}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  assert.equal(r.status, 201, await r.text());
  return r.headers.get('x-subject-token') as string;
}

const validate = async (port: number, auth: string, subject: string): Promise<number> =>
  (await fetch(`${base(port)}/auth/tokens`, { headers: { 'x-auth-token': auth, 'x-subject-token': subject } })).status;

for (const backend of backends) {
  describe(`identity scale-out on ${backend.name}`, { skip: backend.skip }, () => {
    let dir: string;
    let env: Record<string, string>;
    const children: ChildProcess[] = [];
    const ports = [21000 + Math.floor(Math.random() * 9000), 31000 + Math.floor(Math.random() * 9000)] as const;
    before(async () => {
      if (spawnSync(process.execPath, [KUMO, '--help']).status !== 0)
        spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
      dir = await mkdtemp(join(tmpdir(), `kumo-scale-${backend.name}-`));
      env = {
        KUMO_DATA_DIR: dir,
        KUMO_DATABASE_URL: await (backend as Backend).create(),
        KUMO_LOG_LEVEL: 'warn',
        KUMO_IDENTITY_CACHE_TIME: '1',
      };
      const boot = spawnSync(
        process.execPath,
        [KUMO, 'bootstrap', '--admin-password', 'scale-out-pw', '--identity-port', String(ports[0])],
        {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      );
      assert.equal(boot.status, 0, `${boot.stdout}${boot.stderr}`);
      for (const p of ports) children.push(await serve(env, p));
    });
    after(async () => {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
      await backend.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    it('validates on one node the tokens the other issued, and propagates revocation', async () => {
      const [a, b] = ports;
      const adminA = await issue(a, 'scale-out-pw');
      const adminB = await issue(b, 'scale-out-pw');
      const subject = await issue(a, 'scale-out-pw');
      assert.equal(await validate(b, adminB, subject), 200);
      const del = await fetch(`${base(a)}/auth/tokens`, {
        method: 'DELETE',
        headers: { 'x-auth-token': adminA, 'x-subject-token': subject },
      });
      assert.equal(del.status, 204);
      // Each node re-reads revocation events at most a second after they are written elsewhere.
      let status = 0;
      for (let i = 0; i < 30 && status !== 404; i++) {
        await sleep(200);
        status = await validate(b, adminB, subject);
      }
      assert.equal(status, 404, 'node B honours the revocation written by node A');
    });

    it('sees a role removed on the other node within the cache time', async () => {
      const [a, b] = ports;
      const adminA = await issue(a, 'scale-out-pw');
      const adminB = await issue(b, 'scale-out-pw');
      const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> => {
        const r = await fetch(`${base(a)}${path}`, {
          method,
          headers: { 'x-auth-token': adminA, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        assert.ok(r.status < 300, `${method} ${path}: ${r.status}`);
        return r.status === 204 ? {} : ((await r.json()) as Record<string, any>);
      };
      const project = (await call('POST', '/projects', { project: { name: 'scale-p' } })).project;
      const user = (await call('POST', '/users', { user: { name: 'scale-u', password: 'scale-u-pw' } })).user;
      const role = (await call('GET', '/roles?name=member')).roles[0];
      await call('PUT', `/projects/${project.id}/users/${user.id}/roles/${role.id}`);
      const r = await fetch(`${base(a)}/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password: 'scale-u-pw' } } },
            scope: { project: { id: project.id } },
          },
        }),
      });
      const userToken = r.headers.get('x-subject-token') as string;
      assert.equal(await validate(b, adminB, userToken), 200);
      await call('DELETE', `/projects/${project.id}/users/${user.id}/roles/${role.id}`);
      let status = 0;
      for (let i = 0; i < 30 && status !== 404; i++) {
        await sleep(200);
        status = await validate(b, adminB, userToken);
      }
      assert.equal(status, 404, 'node B stops accepting a token whose only role was removed on node A');
    });
  });
}
