/**
 * Scale-out for the dashboard: `kumo serve dashboard` runs apart from the
 * APIs, told only where identity is (dashboard.identity_url); it signs a user
 * in and reaches the other services through the user's catalog.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KumoProcess, ROOT, baseEnv, ensureBuilt, ensureDashboardBuilt, freePort, parseOpenrc } from '../support/kumo-cli.js';

describe('kumo serve dashboard apart from the APIs', { timeout: 120_000 }, () => {
  let tmp: string;
  let kumo: KumoProcess;
  let node: ChildProcess | undefined;
  let url: string;
  let openrc: Record<string, string | undefined>;

  before(async () => {
    ensureBuilt();
    ensureDashboardBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-dash-serve-'));
    const home = join(tmp, 'home');
    await mkdir(home);
    const dataDir = join(tmp, 'data');
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', '0', '--no-agent']);
    await kumo.start();
    openrc = parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    node = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'kumo.js'), 'serve', 'dashboard', '--data-dir', join(tmp, 'node2'), '--dashboard-port', String(port)],
      {
        env: { ...baseEnv(home), KUMO_LOG_LEVEL: 'warn', KUMO_DASHBOARD_IDENTITY_URL: openrc.OS_AUTH_URL as string },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((ready, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`kumo serve dashboard not ready:\n${out}`)), 30_000);
      node?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('dashboard serving on')) {
          clearTimeout(timer);
          ready();
        }
      });
      node?.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      node?.once('exit', (c) => fail(new Error(`kumo serve dashboard exited ${c}:\n${out}`)));
    });
  });

  after(async () => {
    if (node?.pid !== undefined && node.exitCode === null) {
      const exited = new Promise((r) => node?.once('exit', r));
      process.kill(node.pid, 'SIGTERM');
      await exited;
    }
    if (kumo) await kumo.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('serves the app, signs in through identity and reaches compute through the catalog', async () => {
    const page = await fetch(`${url}/project/instances`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const signIn = await fetch(`${url}/api/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: openrc.OS_PASSWORD } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    assert.equal(signIn.status, 201);
    const token = signIn.headers.get('x-subject-token') ?? '';
    const flavors = await fetch(`${url}/api/compute/flavors`, { headers: { 'X-Auth-Token': token } });
    assert.equal(flavors.status, 200);
    assert.deepEqual(((await flavors.json()) as { flavors: unknown[] }).flavors, []);
  });
});
