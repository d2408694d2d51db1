/**
 * Faults of `kumo up` with real QEMU guests (TCG here, no network: the
 * driver starts guests with `-nic none`): the process stopped (SIGTERM) and
 * started again on the same data dir re-attaches its running guests by pid,
 * reports a guest that died meanwhile SHUTOFF (Nova's sync_power_state),
 * tears down a guest whose server was deleted while no agent ran, and a
 * `kumo up` killed (SIGKILL) in the middle of a build leaves no server in
 * BUILD. Every QEMU this file causes is found by its instances dir (unique
 * to this run) and killed by pid in `after`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KumoProcess, ensureBuilt, freePort, onPath, parseOpenrc, type Env } from '../support/kumo-cli.js';
import { ensureGuestImage } from '../support/guest-image.js';

const skipReason = !onPath('qemu-system-x86_64') && !process.env.CI ? 'QEMU is not installed' : undefined;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of live processes whose command line mentions `marker` (QEMU of this run: its instances dir). */
function pidsMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.startsWith('qemu-system') && cmdline.includes(marker)) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) counts as gone.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(500);
  }
}

interface Server {
  id: string;
  status: string;
  'OS-EXT-STS:power_state': number;
  'OS-EXT-STS:task_state': string | null;
  fault?: { message: string; code: number };
}

describe(
  'compute faults: kumo up with QEMU guests, stopped, killed and started again',
  { skip: skipReason ?? false, timeout: 600_000 },
  () => {
    let tmp: string;
    let dataDir: string;
    let instancesDir: string;
    let home: string;
    let identityPort: number;
    let kumo: KumoProcess | undefined;
    let openrc: Env;
    let token = '';
    let urls: Record<string, string> = {};
    let imageId = '';
    let flavorId = '';
    const servers: Record<string, string> = {};
    const pids: Record<string, number> = {};
    /** Every QEMU pid seen in this run (killed in `after` if still there). */
    const seen = new Set<number>();

    const guestPids = (uuid: string): number[] => {
      const list = pidsMentioning(join(instancesDir, uuid) + '/');
      for (const p of list) seen.add(p);
      return list;
    };
    const recordedPid = (uuid: string): number | undefined => {
      const f = join(instancesDir, uuid, 'qemu.pid');
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
    };

    async function startKumo(extra: string[] = []): Promise<void> {
      kumo = new KumoProcess(dataDir, identityPort, home, ['--image-port', '0', '--driver', 'qemu', ...extra]);
      await kumo.start();
      openrc = parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8'));
      await login();
    }

    async function stopKumo(): Promise<void> {
      const k = kumo;
      kumo = undefined;
      if (!k) return;
      const { code, signal } = await k.stop();
      assert.ok(code === 0 || signal === 'SIGTERM', `kumo up ended with ${code ?? signal}\n${k.diagnostics()}`);
    }

    async function login(): Promise<void> {
      const res = await fetch(`${openrc.OS_AUTH_URL}/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: openrc.OS_USERNAME, domain: { name: openrc.OS_USER_DOMAIN_NAME }, password: openrc.OS_PASSWORD } },
            },
            scope: { project: { name: openrc.OS_PROJECT_NAME, domain: { name: openrc.OS_PROJECT_DOMAIN_NAME } } },
          },
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      token = res.headers.get('x-subject-token') ?? '';
      const body = (await res.json()) as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } };
      urls = Object.fromEntries(
        body.token.catalog.map((c) => [c.type, c.endpoints.find((e) => e.interface === 'public')?.url ?? c.endpoints[0]!.url]),
      );
    }

    async function api(service: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
      const headers: Record<string, string> = { 'x-auth-token': token };
      if (service === 'compute') headers['openstack-api-version'] = 'compute 2.37';
      let payload: string | Buffer | undefined;
      if (Buffer.isBuffer(body)) {
        payload = body;
        headers['content-type'] = 'application/octet-stream';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${urls[service]}${path}`, { method, headers, body: payload });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON.
      }
      return { status: res.status, body: parsed };
    }

    const show = async (id: string): Promise<Server> => {
      const r = await api('compute', 'GET', `/servers/${id}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.server as Server;
    };

    async function create(name: string): Promise<string> {
      const r = await api('compute', 'POST', '/servers', { server: { name, imageRef: imageId, flavorRef: flavorId, networks: 'none' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.server.id as string;
    }

    async function waitStatus(id: string, status: string, timeoutMs = 90_000): Promise<Server> {
      let last: Server | undefined;
      return until(
        `server ${id} ${status} (last ${last?.status}/${last?.['OS-EXT-STS:task_state']})`,
        async () => {
          last = await show(id);
          if (last.status === 'ERROR' && status !== 'ERROR') assert.fail(`server ${id} went to ERROR: ${JSON.stringify(last.fault)}`);
          return last.status === status && last['OS-EXT-STS:task_state'] === null ? last : undefined;
        },
        timeoutMs,
      );
    }

    async function action(id: string, body: unknown): Promise<any> {
      const r = await api('compute', 'POST', `/servers/${id}/action`, body);
      assert.ok(r.status === 202 || r.status === 200, `${JSON.stringify(body)} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    }

    async function deleteAndWait(id: string): Promise<void> {
      const r = await api('compute', 'DELETE', `/servers/${id}`);
      assert.equal(r.status, 204, JSON.stringify(r.body));
      await until(`server ${id} gone`, async () => (await api('compute', 'GET', `/servers/${id}`)).status === 404, 30_000);
    }

    /** Waits until the guest has no QEMU and no directory left. */
    async function waitTornDown(uuid: string): Promise<void> {
      await until(`QEMU and files of ${uuid} removed`, () => guestPids(uuid).length === 0 && !existsSync(join(instancesDir, uuid)), 30_000);
    }

    before(async () => {
      ensureBuilt();
      const image = await ensureGuestImage();
      tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-faults-'));
      dataDir = join(tmp, 'data');
      instancesDir = join(dataDir, 'instances');
      home = join(tmp, 'home');
      await mkdir(home);
      identityPort = await freePort();
      await startKumo();
      const f = await api('compute', 'POST', '/flavors', { flavor: { name: 'm1.small', ram: 128, vcpus: 1, disk: 2 } });
      assert.equal(f.status, 200, JSON.stringify(f.body));
      flavorId = f.body.flavor.id;
      const img = await api('image', 'POST', '/v2/images', {
        name: 'guest',
        disk_format: 'qcow2',
        container_format: 'bare',
        visibility: 'public',
      });
      assert.equal(img.status, 201, JSON.stringify(img.body));
      imageId = img.body.id;
      const up = await api('image', 'PUT', `/v2/images/${imageId}/file`, await readFile(image));
      assert.equal(up.status, 204, JSON.stringify(up.body));
    });

    after(async () => {
      if (kumo) {
        const k = kumo;
        kumo = undefined;
        const { code, signal } = await k.stop();
        if (code !== 0 && code !== null) process.stderr.write(`# kumo up ended with ${code ?? signal}\n${k.diagnostics()}\n`);
      }
      // Guests outlive kumo up by design: end every QEMU of this run, by pid.
      if (instancesDir) for (const p of pidsMentioning(instancesDir + '/')) seen.add(p);
      for (const p of seen) if (alive(p)) process.kill(p, 'SIGKILL');
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('three servers boot to ACTIVE, each run by one QEMU process', async () => {
      for (const name of ['keeper', 'victim', 'orphan']) servers[name] = await create(name);
      for (const [name, id] of Object.entries(servers)) {
        const s = await waitStatus(id, 'ACTIVE');
        assert.equal(s['OS-EXT-STS:power_state'], 1);
        const list = guestPids(id);
        assert.equal(list.length, 1, `${name}: QEMU processes ${list.join(',')}`);
        assert.equal(recordedPid(id), list[0]);
        pids[name] = list[0]!;
      }
    });

    it('kumo up stopped with SIGTERM: the guests keep running', async () => {
      await stopKumo();
      await sleep(500);
      for (const name of ['keeper', 'victim', 'orphan']) assert.ok(alive(pids[name]!), `${name}'s QEMU ${pids[name]} died with kumo up`);
      // The victim's QEMU dies while nothing watches it.
      process.kill(pids.victim!, 'SIGKILL');
      await until('victim QEMU gone', () => !alive(pids.victim!), 10_000);
    });

    it('with no agent running (kumo up --no-agent), a server is deleted: its guest stays until an agent returns', async () => {
      await startKumo(['--no-agent']);
      await deleteAndWait(servers.orphan!);
      assert.ok(alive(pids.orphan!), 'nothing could have stopped the orphan yet');
      assert.ok(existsSync(join(instancesDir, servers.orphan!)));
      await stopKumo();
    });

    it('kumo up again: the running guest is re-attached, the dead one SHUTOFF, the orphan removed', async () => {
      await startKumo();
      const keeper = await waitStatus(servers.keeper!, 'ACTIVE');
      assert.equal(keeper['OS-EXT-STS:power_state'], 1);
      assert.deepEqual(guestPids(servers.keeper!), [pids.keeper], 'the same QEMU, and no second one');
      assert.equal(recordedPid(servers.keeper!), pids.keeper);
      const victim = await waitStatus(servers.victim!, 'SHUTOFF', 90_000);
      assert.equal(victim['OS-EXT-STS:power_state'], 4);
      assert.deepEqual(guestPids(servers.victim!), []);
      await waitTornDown(servers.orphan!);
      assert.ok(!alive(pids.orphan!));
    });

    it('the re-attached guest is manageable: console log, stop, start, reboot, delete', async () => {
      const id = servers.keeper!;
      // The guest kept booting while kumo up was away; its console log is still served.
      const log = await until(
        'the login banner in the console log',
        async () => {
          const out = (await action(id, { 'os-getConsoleOutput': { length: null } })).output as string;
          return /login:/.test(out) ? out : undefined;
        },
        120_000,
      );
      assert.match(log, /Linux version/);
      await action(id, { 'os-stop': null });
      const stopped = await waitStatus(id, 'SHUTOFF', 90_000);
      assert.equal(stopped['OS-EXT-STS:power_state'], 4);
      assert.ok(!alive(pids.keeper!), 'stop ended the re-attached QEMU');
      assert.deepEqual(guestPids(id), []);
      await action(id, { 'os-start': null });
      await waitStatus(id, 'ACTIVE');
      const started = guestPids(id);
      assert.equal(started.length, 1, `QEMU processes ${started.join(',')}`);
      await action(id, { reboot: { type: 'HARD' } });
      const rebooted = await waitStatus(id, 'ACTIVE');
      assert.equal(rebooted['OS-EXT-STS:power_state'], 1);
      const now = guestPids(id);
      assert.equal(now.length, 1, `QEMU processes ${now.join(',')}`);
      assert.ok(!alive(started[0]!), 'the hard reboot replaced the QEMU process');
      // The victim (SHUTOFF) starts again too.
      await action(servers.victim!, { 'os-start': null });
      await waitStatus(servers.victim!, 'ACTIVE');
      assert.equal(guestPids(servers.victim!).length, 1);
      for (const name of ['keeper', 'victim']) {
        await deleteAndWait(servers[name]!);
        await waitTornDown(servers[name]!);
      }
    });

    it('kumo up killed (SIGKILL) during a build: after a restart the server is ACTIVE or ERROR, never BUILD', async () => {
      const id = await create('interrupted');
      const pid = kumo!.child!.pid!;
      process.kill(pid, 'SIGKILL');
      const k = kumo!;
      kumo = undefined;
      const ended = await k.stop();
      assert.equal(ended.signal, 'SIGKILL');
      const atKill = await readFile(join(instancesDir, id, 'instance.json'), 'utf8').then(
        () => 'spawned',
        () => 'not spawned',
      );
      for (const p of guestPids(id)) seen.add(p);
      await startKumo();
      const s = await until(
        'the interrupted build settled',
        async () => {
          const v = await show(id);
          return v.status === 'ACTIVE' || v.status === 'ERROR' ? v : undefined;
        },
        120_000,
      );
      process.stderr.write(`# interrupted build (${atKill} at the kill) ended ${s.status}: ${JSON.stringify(s.fault)}\n`);
      if (s.status === 'ACTIVE') {
        const list = await until('its QEMU running', () => (guestPids(id).length > 0 ? guestPids(id) : undefined), 10_000);
        assert.equal(list.length, 1, `one QEMU for it, not ${list.join(',')}`);
        assert.equal(recordedPid(id), list[0]);
      } else {
        assert.ok(s.fault?.message, 'an ERROR server says why');
      }
      await deleteAndWait(id);
      await waitTornDown(id);
    });

    it('nothing is left: no QEMU of this run, no server directory', async () => {
      assert.deepEqual(pidsMentioning(instancesDir + '/'), []);
      const left = readdirSync(instancesDir).filter((d) => /^[0-9a-f-]{36}$/.test(d));
      assert.deepEqual(left, []);
    });
  },
);
