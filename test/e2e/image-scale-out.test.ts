/**
 * Scale-out for images: `kumo serve image` runs apart from identity and
 * validates tokens remotely with its service credentials, while sharing the
 * image database and store with the image API of `kumo up`, as a second API
 * node would. An image created and uploaded through one node is served by the
 * other, and tokens are refused the same way on both.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KumoProcess, ROOT, baseEnv, ensureBuilt, freePort, issuePasswordToken, openrcLogin, parseOpenrc } from '../support/kumo-cli.js';

describe('kumo serve image beside kumo up', { timeout: 120_000 }, () => {
  let tmp: string;
  let kumo: KumoProcess;
  let node2: ChildProcess | undefined;
  let upImage: string;
  let node2Image: string;
  let token: string;

  before(async () => {
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-image-scale-'));
    const home = join(tmp, 'home');
    await mkdir(home);
    const dataDir = join(tmp, 'data');
    const upPort = await freePort();
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', String(upPort)]);
    await kumo.start();
    upImage = `http://127.0.0.1:${upPort}`;
    const openrc = parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8'));
    const port2 = await freePort();
    node2Image = `http://127.0.0.1:${port2}`;
    node2 = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'kumo.js'), 'serve', 'image', '--data-dir', dataDir, '--image-port', String(port2)],
      {
        env: {
          ...baseEnv(home),
          KUMO_LOG_LEVEL: 'warn',
          KUMO_SERVICE_AUTH_URL: openrc.OS_AUTH_URL as string,
          KUMO_SERVICE_AUTH_USERNAME: 'admin',
          KUMO_SERVICE_AUTH_PASSWORD: openrc.OS_PASSWORD as string,
          KUMO_SERVICE_AUTH_PROJECT_NAME: 'admin',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((ready, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`kumo serve image not ready:\n${out}`)), 30_000);
      node2?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('image serving on')) {
          clearTimeout(timer);
          ready();
        }
      });
      node2?.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      node2?.once('exit', (c) => fail(new Error(`kumo serve image exited ${c}:\n${out}`)));
    });
    token = (await issuePasswordToken(openrc.OS_AUTH_URL as string, openrcLogin(openrc))).token;
  });

  after(async () => {
    if (node2?.pid !== undefined && node2.exitCode === null) {
      const exited = new Promise((r) => node2?.once('exit', r));
      process.kill(node2.pid, 'SIGTERM');
      await exited;
    }
    if (kumo) await kumo.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('refuses missing and bad tokens on the separate node', async () => {
    assert.equal((await fetch(`${node2Image}/v2/images`)).status, 401);
    assert.equal((await fetch(`${node2Image}/v2/images`, { headers: { 'x-auth-token': 'garbage' } })).status, 401);
  });

  it('an image made and uploaded on one node is listed and downloaded on the other', async () => {
    const headers = { 'x-auth-token': token, 'content-type': 'application/json' };
    const created = await fetch(`${node2Image}/v2/images`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'scaled', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    const data = randomBytes(300_000);
    const up = await fetch(`${node2Image}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(up.status, 204);
    const list = (await (await fetch(`${upImage}/v2/images`, { headers })).json()) as { images: { id: string; status: string }[] };
    assert.deepEqual(
      list.images.map((i) => [i.id, i.status]),
      [[id, 'active']],
    );
    const down = await fetch(`${upImage}/v2/images/${id}/file`, { headers: { 'x-auth-token': token } });
    assert.equal(down.status, 200);
    assert.ok(Buffer.from(await down.arrayBuffer()).equals(data));
    // A second upload through the other node is refused: the status moved on for both.
    const again = await fetch(`${upImage}/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(again.status, 409);
  });
});
