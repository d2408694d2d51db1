/**
 * One contract suite for every compute driver (fake and QEMU/TCG). The QEMU
 * run boots a blank disk: SeaBIOS printing "No bootable device" on the serial
 * console proves disk, console log and QMP plumbing without a guest OS.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InstanceNotFoundError, type ComputeDriver } from '../../src/agent/compute/driver.js';
import { FakeDriver } from '../../src/agent/compute/fake/fake-driver.js';
import { QemuDriver } from '../../src/agent/compute/qemu/qemu-driver.js';
import { isAlive } from '../../src/agent/host/host-process.js';
import { createBlank } from '../../src/agent/host/qemu-img.js';
import { PowerState, type InstanceSpec } from '../../src/lib/rpc/compute-rpc.js';

/** Reads an RFB server's greeting and, after answering with version 3.8, its security types. */
function rfbHandshake(host: string, port: number): Promise<{ version: string; securityTypes: number[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let buf = Buffer.alloc(0);
    let version = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('RFB handshake timed out'))), 5000);
    socket.on('error', (e) => (clearTimeout(timer), reject(e)));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!version && buf.length >= 12) {
        version = buf.subarray(0, 11).toString('latin1');
        buf = buf.subarray(12);
        socket.write('RFB 003.008\n');
      }
      if (version && buf.length >= 1 && buf.length >= 1 + buf[0]!) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ version, securityTypes: [...buf.subarray(1, 1 + buf[0]!)] });
      }
    });
  });
}

const IMAGE_ID = '0f0e0d0c-0000-4000-8000-00000000abcd';
const UUID = '11111111-2222-4333-8444-555555555555';

function spec(uuid = UUID): InstanceSpec {
  return {
    uuid,
    name: 'instance-00000001',
    displayName: 'vm',
    hostname: 'vm',
    projectId: 'p',
    userId: 'u',
    flavor: { flavorId: '1', name: 'tiny', vcpus: 1, memoryMb: 96, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} },
    image: { id: IMAGE_ID, name: 'blank', diskFormat: 'qcow2', containerFormat: 'bare', size: 0, minDisk: 0, minRam: 0, properties: {} },
    keyName: null,
    keyData: null,
    userData: null,
    metadata: {},
    configDrive: false,
    availabilityZone: null,
    launchIndex: 0,
    vmState: 'building',
    taskState: 'spawning',
    powerState: PowerState.NOSTATE,
    networks: [],
  };
}

interface Subject {
  driver: ComputeDriver;
  dir: string;
  consoleText: RegExp;
  pids(): number[];
}

const subjects: Record<string, () => Promise<Subject>> = {
  fake: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-driver-'));
    const driver = new FakeDriver({ stateDir: dir, vcpus: 4, memoryMb: 4096, diskGb: 100, vncListen: '127.0.0.1' });
    return { driver, dir, consoleText: /FAKE CONSOLE OUTPUT/, pids: () => [] };
  },
  qemu: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-driver-'));
    const blank = join(dir, 'blank.qcow2');
    await createBlank(blank, 32 * 1024 * 1024);
    const driver = new QemuDriver({
      instancesDir: join(dir, 'instances'),
      imageCacheDir: join(dir, 'cache'),
      vncListen: '127.0.0.1',
      shutdownTimeoutSec: 1,
      fetchImage: async () => new Response(await readFile(blank), { status: 200 }),
    });
    return { driver, dir, consoleText: /Booting from Hard Disk|No bootable device/, pids: () => [...driver.pids().values()] };
  },
};

async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

for (const [name, make] of Object.entries(subjects)) {
  describe(`compute driver contract: ${name}`, () => {
    test('lifecycle: spawn, console, pause, power, reboot, resize, snapshot, destroy', { timeout: 180_000 }, async (t) => {
      const s = await make();
      const started = new Set<number>();
      t.after(async () => {
        for (const pid of [...started, ...s.pids()]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await s.driver.close();
        await rm(s.dir, { recursive: true, force: true });
      });
      const d = s.driver;
      await d.init();
      const res = await d.hostResources();
      assert.ok(res.vcpus >= 1 && res.memoryMb > 0 && res.diskGb > 0);

      await d.spawn(spec());
      s.pids().forEach((p) => started.add(p));
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);
      assert.deepEqual(
        (await d.listInstances()).map((i) => i.uuid),
        [UUID],
      );
      assert.ok(await eventually(async () => s.consoleText.test(await d.consoleOutput(UUID, null)), 60_000), 'console output');
      const last = await d.consoleOutput(UUID, 1);
      assert.equal(last.split('\n').filter(Boolean).length, 1);
      const vnc = await d.vncConsole(UUID);
      assert.ok(vnc.port >= 5900);
      // A real RFB server answers there: version, then security type None (1) once we agree on 3.8.
      assert.deepEqual(await rfbHandshake(vnc.host, vnc.port), { version: 'RFB 003.008', securityTypes: [1] });

      await d.pause(UUID);
      assert.equal(await d.powerState(UUID), PowerState.PAUSED);
      await d.unpause(UUID);
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);
      await d.suspend(UUID);
      assert.equal(await d.powerState(UUID), PowerState.SUSPENDED);
      await d.resume(spec());
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);

      await d.powerOff(UUID, 1);
      assert.equal(await d.powerState(UUID), PowerState.SHUTDOWN);
      await d.powerOn(spec());
      s.pids().forEach((p) => started.add(p));
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);
      await d.reboot(spec(), 'HARD');
      s.pids().forEach((p) => started.add(p));
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);

      await d.resize(spec(), { ...spec().flavor, flavorId: '2', rootGb: 2, memoryMb: 128 });
      s.pids().forEach((p) => started.add(p));
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);
      await d.revertResize(spec(), spec().flavor);
      s.pids().forEach((p) => started.add(p));
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);

      let uploaded = 0;
      await d.snapshot(UUID, 'qcow2', async (file) => {
        uploaded = (await readFile(file)).length;
      });
      assert.ok(uploaded > 0);
      assert.equal(await d.powerState(UUID), PowerState.RUNNING);

      await assert.rejects(d.pause('99999999-2222-4333-8444-555555555555'), InstanceNotFoundError);

      await d.destroy(UUID);
      assert.equal(await d.powerState(UUID), PowerState.NOSTATE);
      assert.deepEqual(await d.listInstances(), []);
      for (const pid of started) assert.equal(await isAlive(pid, UUID), false, 'no QEMU process left');
      assert.ok(!existsSync(join(s.dir, 'instances', UUID)));
      await d.destroy(UUID); // idempotent
    });
  });
}

test('qemu: a guest that dies is reported, a new driver re-attaches to a running one', { timeout: 120_000 }, async (t) => {
  const s = await subjects.qemu!();
  const all = new Set<number>();
  t.after(async () => {
    for (const pid of [...all, ...s.pids()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await s.driver.close();
    await rm(s.dir, { recursive: true, force: true });
  });
  const d = s.driver as QemuDriver;
  await d.init();
  await d.spawn(spec());
  const pid = d.pids().get(UUID)!;
  all.add(pid);

  // A second driver on the same dirs (an agent restart) sees the running guest.
  const again = new QemuDriver({
    instancesDir: join(s.dir, 'instances'),
    imageCacheDir: join(s.dir, 'cache'),
    vncListen: '127.0.0.1',
    fetchImage: () => Promise.reject(new Error('not needed')),
  });
  await again.init();
  t.after(() => again.close());
  assert.equal(again.pids().get(UUID), pid);
  assert.equal(await again.powerState(UUID), PowerState.RUNNING);

  // Guests are unref'd children: keep the loop alive while waiting for the exit.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const stopped = new Promise<string>((r) => d.onUnexpectedStop((uuid) => r(uuid)));
  process.kill(pid, 'SIGKILL');
  assert.equal(await stopped, UUID);
  assert.equal(await d.powerState(UUID), PowerState.SHUTDOWN);
  await d.destroy(UUID);
  assert.deepEqual(await again.listInstances(), []);
});

/** The tiny guest scripts/build-guest-image.sh builds (KUMO_GUEST_IMAGE, or its cache). */
function guestImage(): string | undefined {
  if (process.env.KUMO_GUEST_IMAGE) return process.env.KUMO_GUEST_IMAGE;
  const dir = join(homedir(), '.cache/kumo/guest-image');
  const found = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.qcow2')) : undefined;
  return found ? join(dir, found) : undefined;
}

const GUEST = guestImage();

test(
  'qemu: the Kumo guest image boots to a login prompt and powers off on ACPI',
  { timeout: 240_000, skip: GUEST ? false : 'no guest image built (scripts/build-guest-image.sh)' },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-boot-'));
    const d = new QemuDriver({
      instancesDir: join(dir, 'instances'),
      imageCacheDir: join(dir, 'cache'),
      vncListen: '127.0.0.1',
      shutdownTimeoutSec: 60,
      fetchImage: async () => new Response(await readFile(GUEST!), { status: 200 }),
    });
    const keepAlive = setInterval(() => undefined, 1000);
    t.after(async () => {
      clearInterval(keepAlive);
      for (const pid of d.pids().values()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await d.close();
      await rm(dir, { recursive: true, force: true });
    });
    await d.init();
    const s = spec();
    await d.spawn({ ...s, flavor: { ...s.flavor, memoryMb: 256 } });
    const pid = d.pids().get(UUID)!;
    assert.ok(await eventually(async () => /login:/.test(await d.consoleOutput(UUID, 5)), 180_000), 'login prompt on the serial console');
    await d.powerOff(UUID, 60);
    assert.equal(await d.powerState(UUID), PowerState.SHUTDOWN);
    assert.equal(await isAlive(pid, UUID), false);
    await d.destroy(UUID);
  },
);
