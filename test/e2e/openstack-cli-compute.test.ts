/**
 * The Nova steps of the install guide (seed 001) with the real `openstack`
 * CLI against `kumo up` running real QEMU guests (KVM when usable, TCG here):
 * the four flavors, `keypair create --public-key`, `server create` of the
 * tiny guest image → ACTIVE, its boot log up to the login banner, its noVNC
 * console in headless Chromium, stop/start/reboot, the agent in `compute
 * service list` and `hypervisor list`, a server beyond capacity in ERROR with
 * "No valid host", and delete, with no QEMU process left behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  KumoProcess,
  ROOT,
  baseEnv,
  ensureBuilt,
  freePort,
  json,
  ok,
  onPath,
  openstack,
  parseOpenrc,
  type Env,
} from '../support/kumo-cli.js';
import { ensureGuestImage } from '../support/guest-image.js';
import { CHROMIUM, launchBrowser, viewConsole } from '../support/novnc-browser.js';
import { recordedQemuPids } from '../support/qemu-pids.js';

const tools = onPath('openstack') && onPath('qemu-system-x86_64') && onPath('ssh-keygen') && existsSync(CHROMIUM);
const skipReason = !tools && !process.env.CI ? 'the openstack CLI, QEMU, ssh-keygen or chromium is not installed' : undefined;
const SCREENSHOT = join(ROOT, 'docs/images/server-console-novnc.png');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('openstack CLI: servers on QEMU against kumo up (Nova install guide)', { skip: skipReason ?? false, timeout: 900_000 }, () => {
  let tmp: string;
  let dataDir: string;
  let kumo: KumoProcess;
  let admin: Env;
  let image: string;

  /** Polls `server show` until `status` (ERROR fails unless wanted). */
  async function waitStatus(name: string, status: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await json(['server', 'show', name], admin);
      if (s.status === status) return s;
      if (s.status === 'ERROR' && status !== 'ERROR') assert.fail(`${name} went to ERROR: ${JSON.stringify(s.fault)}`);
      assert.ok(Date.now() < end, `${name} is ${s.status} (task ${s['OS-EXT-STS:task_state']}), not ${status}`);
      await sleep(1000);
    }
  }

  /** QEMU pids the agent recorded for servers still on disk. */
  const qemuPids = (): number[] => recordedQemuPids(join(dataDir, 'instances'));

  before(async () => {
    ensureBuilt();
    image = await ensureGuestImage();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-compute-'));
    dataDir = join(tmp, 'data');
    const home = join(tmp, 'home');
    await mkdir(home);
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', '0', '--driver', 'qemu']);
    await kumo.start();
    admin = { ...baseEnv(home), ...parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8')) };
  });

  after(async () => {
    // Guests outlive the agent by design; the test ends the ones it made, by the pids the agent recorded.
    const leftovers = dataDir ? qemuPids() : [];
    if (kumo) {
      const { code, signal } = await kumo.stop();
      if (code !== 0 && code !== null) process.stderr.write(`# kumo up ended with ${code ?? signal}\n${kumo.diagnostics()}\n`);
    }
    for (const pid of leftovers) process.kill(pid, 'SIGKILL');
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the catalog lists compute and placement', async () => {
    const types = (await json(['catalog', 'list'], admin)).map((c: { Type: string }) => c.Type);
    for (const t of ['compute', 'placement', 'image', 'identity']) assert.ok(types.includes(t), types.join(','));
  });

  it('compute service list and hypervisor list show the agent', async () => {
    const services = await json(['compute', 'service', 'list'], admin);
    const agent = services.find((s: Record<string, string>) => s.Binary === 'nova-compute');
    assert.ok(agent, JSON.stringify(services));
    assert.equal(agent.State, 'up');
    assert.equal(agent.Status, 'enabled');
    const hypervisors = await json(['hypervisor', 'list'], admin);
    assert.equal(hypervisors.length, 1, JSON.stringify(hypervisors));
    assert.equal(hypervisors[0]['Hypervisor Type'], 'QEMU');
  });

  it('the seed flavors: flavor create --id 0 --vcpus 1 --ram 64 --disk 1 m1.nano ...', async () => {
    for (const [id, vcpus, ram, disk, name] of [
      ['0', 1, 64, 1, 'm1.nano'],
      ['1', 1, 128, 2, 'm1.small'],
      ['2', 1, 256, 3, 'm1.large'],
      ['3', 2, 512, 5, 'm1.xlarge'],
    ] as const) {
      const f = await json(
        ['flavor', 'create', '--id', id, '--vcpus', String(vcpus), '--ram', String(ram), '--disk', String(disk), name],
        admin,
      );
      assert.equal(f.name, name);
      assert.equal(f.ram, ram);
    }
    const names = (await json(['flavor', 'list'], admin)).map((f: { Name: string }) => f.Name).sort();
    assert.deepEqual(names, ['m1.large', 'm1.nano', 'm1.small', 'm1.xlarge']);
  });

  it('image create cirros (the tiny guest) and keypair create --public-key', async () => {
    await ok(['image', 'create', 'cirros', '--file', image, '--disk-format', 'qcow2', '--container-format', 'bare', '--public'], admin);
    const key = join(tmp, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const kp = await json(['keypair', 'create', '--public-key', `${key}.pub`, 'mykey'], admin);
    assert.equal(kp.name, 'mykey');
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', `${key}.pub`], { encoding: 'utf8' })
      .split(' ')[1]
      ?.replace(/^MD5:/, '');
    assert.equal(kp.fingerprint, fp);
  });

  // m1.small, not the seed's m1.nano: Debian 12's cloud kernel (a 14 MB bzImage) cannot decompress in 64 MiB.
  it('server create --flavor m1.small --image cirros --key-name mykey myfirstinstance → ACTIVE', async () => {
    const created = await json(
      ['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--key-name', 'mykey', 'myfirstinstance'],
      admin,
    );
    assert.equal(created.name, 'myfirstinstance');
    const s = await waitStatus('myfirstinstance', 'ACTIVE');
    assert.equal(s.key_name, 'mykey');
    // The CLI prints power_state as Nova sends it (1 = running) with -f json, as a name in tables.
    assert.ok([1, 'Running'].includes(s['OS-EXT-STS:power_state'] as number), String(s['OS-EXT-STS:power_state']));
    assert.equal(qemuPids().length, 1, 'one QEMU process runs the guest');
  });

  it('console log show: the guest boots to its login banner', async () => {
    const end = Date.now() + 180_000;
    let log = '';
    while (Date.now() < end) {
      log = await ok(['console', 'log', 'show', 'myfirstinstance'], admin);
      if (/login:/.test(log)) break;
      await sleep(2000);
    }
    assert.match(log, /Linux version/);
    assert.match(log, /login:/, log.slice(-2000));
  });

  it('server create --config-drive true: the guest reads its name and key from the config drive (no network)', async () => {
    await ok(
      ['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--key-name', 'mykey', '--config-drive', 'true', 'withdrive'],
      admin,
    );
    await waitStatus('withdrive', 'ACTIVE');
    const end = Date.now() + 180_000;
    let log = '';
    while (Date.now() < end) {
      log = await ok(['console', 'log', 'show', 'withdrive'], admin);
      if (/=== kumo-guest: /.test(log)) break;
      await sleep(2000);
    }
    try {
      assert.match(log, /=== kumo-guest: hostname=withdrive datasource=configdrive:/, log.slice(-2000));
    } finally {
      await ok(['server', 'delete', '--wait', 'withdrive'], admin);
    }
  });

  it('console url show: the noVNC URL shows the guest console in headless Chromium', async () => {
    const url = (await json(['console', 'url', 'show', 'myfirstinstance'], admin)).url as string;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/vnc_lite\.html\?path=%3Ftoken%3D/);
    const browser = await launchBrowser();
    try {
      const view = await viewConsole(browser, url, { screenshot: SCREENSHOT, settleMs: 2000 });
      assert.ok(view.colours >= 2, `the console canvas stayed uniform (${view.colours} colour)`);
      assert.match(view.status, /^Connected/);
    } finally {
      await browser.close();
    }
  });

  it('server stop, start and reboot', async () => {
    await ok(['server', 'stop', 'myfirstinstance'], admin);
    const stopped = await waitStatus('myfirstinstance', 'SHUTOFF');
    assert.ok([4, 'Shutdown'].includes(stopped['OS-EXT-STS:power_state'] as number), String(stopped['OS-EXT-STS:power_state']));
    assert.equal(qemuPids().length, 0, 'the stopped guest has no QEMU process');
    await ok(['server', 'start', 'myfirstinstance'], admin);
    await waitStatus('myfirstinstance', 'ACTIVE');
    await ok(['server', 'reboot', 'myfirstinstance'], admin);
    await waitStatus('myfirstinstance', 'ACTIVE');
    await ok(['server', 'reboot', '--hard', 'myfirstinstance'], admin);
    await waitStatus('myfirstinstance', 'ACTIVE');
  });

  it('server create beyond capacity ends in ERROR with "No valid host"', async () => {
    // Quota would refuse it first (403); lift it, as an operator would, so placement decides.
    await ok(['quota', 'set', '--ram', '-1', '--cores', '-1', 'admin'], admin);
    await ok(['flavor', 'create', '--vcpus', '1', '--ram', String(64 * 1024 * 1024), '--disk', '1', 'm1.enormous'], admin);
    await ok(['server', 'create', '--flavor', 'm1.enormous', '--image', 'cirros', 'toobig'], admin);
    const s = await waitStatus('toobig', 'ERROR', 60_000);
    assert.match(JSON.stringify(s.fault), /No valid host/);
    await ok(['server', 'delete', '--wait', 'toobig'], admin);
  });

  it('server delete: the guest and its files are gone', async () => {
    await ok(['server', 'delete', '--wait', 'myfirstinstance'], admin);
    const r = await openstack(['server', 'show', 'myfirstinstance'], admin);
    assert.notEqual(r.code, 0);
    assert.equal(qemuPids().length, 0);
    const left = readdirSync(join(dataDir, 'instances')).filter((d) => !d.startsWith('_') && d !== 'provider-uuid');
    assert.deepEqual(left, [], 'no server directory left');
  });
});
