/**
 * Scale-out for compute: identity, image, placement and compute each run as
 * `kumo serve <service>` on one shared MariaDB database, two `kumo agent`
 * processes (fake driver, hosts so-1 and so-2) and the compute node talk over
 * RabbitMQ (an exchange of this run only), and every node reaches the others
 * through the catalog as the service user `kumo bootstrap` made from
 * service_auth. An agent killed (SIGKILL) during a boot leaves the server in
 * ERROR with a fault once it is back, never in BUILD. Every process here is
 * started by this file and ended by its pid.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { databaseBackends, type Backend } from '../support/db-backends.js';
import { ROOT, baseEnv, ensureBuilt, freePort, issuePasswordToken } from '../support/kumo-cli.js';

const AMQP_URL = process.env.KUMO_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Node {
  name: string;
  child: ChildProcess;
  out: string[];
}

const mysql = (await databaseBackends()).find((b) => b.name === 'mysql') as Backend;

describe('compute scale-out: API nodes on MariaDB, agents on RabbitMQ', { skip: mysql.skip ?? false, timeout: 300_000 }, () => {
  let tmp: string;
  let home: string;
  const nodes = new Map<string, Node>();
  const ports: Record<string, number> = {};
  let env: Record<string, string>;
  let token = '';
  let compute = '';
  let imageId = '';
  const adminPassword = randomBytes(12).toString('hex');

  /** Runs `kumo <args>` and resolves once it prints `ready` (or fails with its output). */
  async function startNode(name: string, args: string[], ready: string, extraEnv: Record<string, string> = {}): Promise<Node> {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'kumo.js'), ...args], {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node: Node = { name, child, out: [] };
    nodes.set(name, node);
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${name} not ready in 30 s:\n${node.out.join('')}`)), 30_000);
      const onData = (d: Buffer): void => {
        node.out.push(d.toString());
        if (node.out.join('').includes(ready)) {
          clearTimeout(timer);
          done();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (d: Buffer) => node.out.push(d.toString()));
      child.once('exit', (c, s) => {
        clearTimeout(timer);
        fail(new Error(`${name} exited (${c ?? s}) before it was ready:\n${node.out.join('')}`));
      });
    });
    return node;
  }

  async function stopNode(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = nodes.get(name);
    nodes.delete(name);
    if (!node?.child.pid || node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((r) => node.child.once('exit', r));
    process.kill(node.child.pid, signal);
    const killer = setTimeout(() => node.child.pid && process.kill(node.child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }

  const agentArgs = (host: string): { args: string[]; env: Record<string, string> } => ({
    args: ['agent', '--data-dir', join(tmp, host)],
    // A slow fake hypervisor, so a boot is still running when the test kills its agent.
    env: { KUMO_AGENT_HOST: host, KUMO_AGENT_DRIVER: 'fake', KUMO_AGENT_FAKE_DELAY_MS: '1500', KUMO_AGENT_HEARTBEAT_INTERVAL: '2' },
  });

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${compute}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json', 'x-openstack-nova-api-version': '2.74' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
      await sleep(300);
    }
  }

  const show = async (id: string): Promise<any> => (await api('GET', `/servers/${id}`)).body.server;
  const settled = (id: string, ms?: number) =>
    until(
      `server ${id} ACTIVE or ERROR`,
      async () => {
        const s = await show(id);
        return s.status === 'ACTIVE' || s.status === 'ERROR' ? s : undefined;
      },
      ms,
    );

  before(async () => {
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-compute-scale-'));
    home = join(tmp, 'home');
    await mkdir(home);
    for (const s of ['identity', 'image', 'placement', 'compute']) ports[s] = await freePort();
    const servicePassword = randomBytes(12).toString('hex');
    env = {
      ...baseEnv(home),
      KUMO_LOG_LEVEL: 'warn',
      KUMO_HOST: '127.0.0.1',
      KUMO_IDENTITY_PORT: String(ports.identity),
      KUMO_IMAGE_PORT: String(ports.image),
      KUMO_PLACEMENT_PORT: String(ports.placement),
      KUMO_COMPUTE_PORT: String(ports.compute),
      KUMO_COMPUTE_CONSOLE_PROXY_PORT: '0',
      KUMO_DASHBOARD_PORT: '0',
      // One database for all four services, as the README's scale-out example has it.
      KUMO_DATABASE_URL: await mysql.create(),
      KUMO_BUS_URL: AMQP_URL,
      KUMO_BUS_EXCHANGE: `kumo_test_${randomBytes(5).toString('hex')}`,
      KUMO_SERVICE_AUTH_URL: `http://127.0.0.1:${ports.identity}/v3`,
      KUMO_SERVICE_AUTH_USERNAME: 'kumo-svc',
      KUMO_SERVICE_AUTH_PASSWORD: servicePassword,
      KUMO_SERVICE_AUTH_PROJECT_NAME: 'service',
    };
    // The identity node's data dir holds its Fernet keys: bootstrap and serve share it.
    const idDir = join(tmp, 'identity');
    const boot = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'kumo.js'), 'bootstrap', '--data-dir', idDir, '--admin-password', adminPassword],
      {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(boot.status, 0, `kumo bootstrap: ${boot.stdout}${boot.stderr}`);
    assert.match(boot.stdout, /service user kumo-svc has admin and service on project service/);
    await startNode('identity', ['serve', 'identity', '--data-dir', idDir], 'identity serving on');
    await Promise.all(
      ['image', 'placement', 'compute'].map((s) => startNode(s, ['serve', s, '--data-dir', join(tmp, s)], `${s} serving on`)),
    );
    for (const host of ['so-1', 'so-2']) {
      const a = agentArgs(host);
      await startNode(host, a.args, `agent of host ${host} running`, a.env);
    }
    token = (
      await issuePasswordToken(`http://127.0.0.1:${ports.identity}/v3`, {
        username: 'admin',
        password: adminPassword,
        projectName: 'admin',
        domainName: 'Default',
      })
    ).token;
    compute = `http://127.0.0.1:${ports.compute}/v2.1`;
    // An image through the image node, in raw format.
    const image = `http://127.0.0.1:${ports.image}`;
    const headers = { 'x-auth-token': token, 'content-type': 'application/json' };
    const made = await fetch(`${image}/v2/images`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'so-image', disk_format: 'raw', container_format: 'bare', visibility: 'public' }),
    });
    assert.equal(made.status, 201);
    imageId = ((await made.json()) as { id: string }).id;
    const up = await fetch(`${image}/v2/images/${imageId}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(1 << 20),
    });
    assert.equal(up.status, 204);
    const flavor = await api('POST', '/flavors', { flavor: { name: 'so.tiny', id: 'so-tiny', vcpus: 1, ram: 64, disk: 1 } });
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body));
  });

  after(async () => {
    for (const name of [...nodes.keys()].reverse()) await stopNode(name);
    await mysql.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const boot = async (name: string, over: Record<string, unknown> = {}): Promise<string> => {
    const r = await api('POST', '/servers', { server: { name, imageRef: imageId, flavorRef: 'so-tiny', networks: 'none', ...over } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.server.id as string;
  };

  it('both agents are compute services and hypervisors, up', async () => {
    const services = await until('two nova-compute services up', async () => {
      const list = (await api('GET', '/os-services?binary=nova-compute')).body.services as { host: string; state: string }[];
      return list.filter((s) => s.state === 'up').length === 2 ? list : undefined;
    });
    assert.deepEqual(services.map((s) => s.host).sort(), ['so-1', 'so-2']);
    const hv = (await api('GET', '/os-hypervisors')).body.hypervisors as { hypervisor_hostname: string; state: string }[];
    assert.deepEqual(hv.map((h) => h.hypervisor_hostname).sort(), ['so-1', 'so-2']);
  });

  it('servers boot to ACTIVE on the agents through RabbitMQ, spread over both hosts', async () => {
    const ids = await Promise.all([boot('so-a'), boot('so-b'), boot('so-c'), boot('so-d')]);
    const done = await Promise.all(ids.map((id) => settled(id)));
    assert.deepEqual(
      done.map((s) => s.status),
      ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE'],
    );
    const hosts = new Set(done.map((s) => s['OS-EXT-SRV-ATTR:host'] as string));
    assert.deepEqual([...hosts].sort(), ['so-1', 'so-2']);
    // Stop goes over the bus to the right agent too.
    assert.equal((await api('POST', `/servers/${ids[0]}/action`, { 'os-stop': null })).status, 202);
    await until('SHUTOFF', async () => ((await show(ids[0]!)).status === 'SHUTOFF' ? true : undefined));
    for (const id of ids) assert.equal((await api('DELETE', `/servers/${id}`)).status, 204);
    await until('all deleted', async () => ((await api('GET', '/servers')).body.servers.length === 0 ? true : undefined));
  });

  it('an agent killed during a boot: once it is back the server is in ERROR with a fault, never BUILD', async () => {
    const id = await boot('so-killed', { availability_zone: 'nova:so-1' });
    await until('the build to be spawning on so-1', async () => {
      const s = await show(id);
      return s['OS-EXT-STS:task_state'] === 'spawning' ? true : undefined;
    });
    await stopNode('so-1', 'SIGKILL');
    assert.equal((await show(id)).status, 'BUILD');
    const a = agentArgs('so-1');
    await startNode('so-1', a.args, 'agent of host so-1 running', a.env);
    const s = await settled(id, 30_000);
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.message, /interrupted/);
    // The host still works: the next boot there is ACTIVE.
    const next = await boot('so-after', { availability_zone: 'nova:so-1' });
    assert.equal((await settled(next)).status, 'ACTIVE');
    for (const x of [id, next]) assert.equal((await api('DELETE', `/servers/${x}`)).status, 204);
  });
});
