/**
 * Seed 001's networking walkthrough with the real `openstack` CLI against
 * `kumo up` on QEMU: the flat provider network and its subnet, the default
 * group opened for ICMP and SSH, a server with `--nic net-id=` that takes
 * an address on 203.0.113.0/24 and answers ping. The agent's data plane
 * (provider bridge with the host as 203.0.113.1, network bridge, tap,
 * iptables, DHCP namespace, guest) lives in a lab namespace this file
 * creates (agent.netns); the agent's own namespaces carry the lab's prefix.
 * Everything is torn down by pid and namespace, also on failure, and a
 * last test checks nothing is left.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureGuestImage } from '../support/guest-image.js';
import { KumoProcess, baseEnv, ensureBuilt, freePort, json, ok, onPath, parseOpenrc, type Env } from '../support/kumo-cli.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';
import { recordedQemuPids } from '../support/qemu-pids.js';

const unavailable = await labUnavailable();
const tools = onPath('openstack') && onPath('qemu-system-x86_64') && onPath('ssh-keygen') && onPath('dnsmasq');
const skip =
  unavailable ?? (!tools && !process.env.CI ? 'the openstack CLI, QEMU, ssh-keygen or dnsmasq is not installed' : undefined) ?? false;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('openstack CLI: the provider network walkthrough on QEMU in a namespace lab', { skip, timeout: 900_000 }, () => {
  let tmp: string;
  let dataDir: string;
  let lab: NetnsLab;
  let kumo: KumoProcess;
  let admin: Env;
  let guestIp = '';

  async function waitStatus(name: string, status: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await json(['server', 'show', name], admin);
      if (s.status === status) return s;
      if (s.status === 'ERROR' && status !== 'ERROR')
        assert.fail(`${name} went to ERROR: ${JSON.stringify(s.fault)}\n${kumo.diagnostics()}`);
      assert.ok(Date.now() < end, `${name} is ${s.status}, not ${status}`);
      await sleep(1000);
    }
  }

  /** `ssh cirros@ip hostname` from the lab host with the key pair, retried while the guest boots (bounded: 4 min). */
  async function sshHostname(ip: string, server: string): Promise<string> {
    const key = join(tmp, 'id_ed25519');
    const opts = ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'ConnectTimeout=5', 'BatchMode=yes'].flatMap((o) => [
      '-o',
      o,
    ]);
    const end = Date.now() + 240_000;
    let last = '';
    while (Date.now() < end) {
      try {
        return (await lab.exec('host', ['ssh', '-i', key, ...opts, `cirros@${ip}`, 'hostname'], 20_000)).stdout.trim();
      } catch (e) {
        last = (e as Error).message;
        await sleep(3000);
      }
    }
    const log = await ok(['console', 'log', 'show', server], admin);
    assert.fail(`no SSH to ${ip}: ${last}\n${log.slice(-2500)}`);
  }

  const pingsFromHost = (ip: string): Promise<boolean> =>
    lab.exec('host', ['ping', '-c', '2', '-i', '0.3', '-W', '1', ip]).then(
      () => true,
      () => false,
    );

  before(async () => {
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-network-'));
    // dnsmasq (as nobody) re-reads its hosts file under the data dir: the path must be traversable, as /var/lib is.
    await chmod(tmp, 0o711);
    dataDir = join(tmp, 'data');
    const home = join(tmp, 'home');
    await mkdir(home);
    lab = await NetnsLab.create(['host']);
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', '0', '--driver', 'qemu'], {
      KUMO_NETWORK_PORT: '0',
      ...lab.agentEnv('host'),
      KUMO_AGENT_HEARTBEAT_INTERVAL: '2',
    });
    await kumo.start();
    admin = { ...baseEnv(home), ...parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8')) };
  });

  after(async () => {
    const qemu = dataDir ? recordedQemuPids(join(dataDir, 'instances')) : [];
    if (kumo) await kumo.stop();
    // Teardown is part of the test: no namespace of the lab (the agent's DHCP and router ones included) survives it.
    if (lab) assert.deepEqual(await lab.teardown(qemu), []);
    if (tmp && !process.env.KUMO_TEST_KEEP) await rm(tmp, { recursive: true, force: true });
  });

  it('network create --share --provider-physical-network provider --provider-network-type flat provider', async () => {
    const n = await json(
      ['network', 'create', '--share', '--provider-physical-network', 'provider', '--provider-network-type', 'flat', 'provider'],
      admin,
    );
    assert.equal(n['provider:network_type'], 'flat');
    assert.equal(n.shared, true);
    const s = await json(
      [
        'subnet',
        'create',
        '--network',
        'provider',
        '--allocation-pool',
        'start=203.0.113.101,end=203.0.113.250',
        '--dns-nameserver',
        '198.51.100.53',
        '--gateway',
        '203.0.113.1',
        '--subnet-range',
        '203.0.113.0/24',
        'provider',
      ],
      admin,
    );
    assert.equal(s.cidr, '203.0.113.0/24');
  });

  it('security group rule create --proto icmp default; --proto tcp --dst-port 22 default', async () => {
    await ok(['security', 'group', 'rule', 'create', '--proto', 'icmp', 'default'], admin);
    await ok(['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', 'default'], admin);
    const rules = await json(['security', 'group', 'rule', 'list', 'default'], admin);
    assert.ok(rules.some((r: Record<string, string>) => r['IP Protocol'] === 'icmp'));
  });

  it('server create --nic net-id=provider --security-group default --key-name mykey → provider=203.0.113.x', async () => {
    await ok(['flavor', 'create', '--id', '1', '--vcpus', '1', '--ram', '128', '--disk', '2', 'm1.small'], admin);
    await ok(
      ['image', 'create', 'cirros', '--file', await ensureGuestImage(), '--disk-format', 'qcow2', '--container-format', 'bare', '--public'],
      admin,
    );
    const key = join(tmp, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await ok(['keypair', 'create', '--public-key', `${key}.pub`, 'mykey'], admin);
    const net = await json(['network', 'show', 'provider'], admin);
    await ok(
      [
        'server',
        'create',
        '--flavor',
        'm1.small',
        '--image',
        'cirros',
        '--nic',
        `net-id=${net.id}`,
        '--security-group',
        'default',
        '--key-name',
        'mykey',
        'myfirstinstance',
      ],
      admin,
    );
    await waitStatus('myfirstinstance', 'ACTIVE');
    const list = await json(['server', 'list'], admin);
    const networks = JSON.stringify(list[0].Networks ?? list[0]);
    const m = /203\.0\.113\.(\d+)/.exec(networks);
    assert.ok(m, networks);
    guestIp = m[0];
    assert.ok(Number(m[1]) >= 101 && Number(m[1]) <= 250, guestIp);
    const port = (await json(['port', 'list', '--server', 'myfirstinstance'], admin))[0];
    assert.equal(port.Status, 'ACTIVE');
  });

  it('the guest takes its address from DHCP and answers ping from the host (the provider gateway)', async () => {
    const end = Date.now() + 240_000;
    let up = false;
    while (!up && Date.now() < end) {
      up = await pingsFromHost(guestIp);
      if (!up) await sleep(2000);
    }
    const log = await ok(['console', 'log', 'show', 'myfirstinstance'], admin);
    assert.ok(up, `no ping from ${guestIp}\n${log.slice(-3000)}`);
  });

  it('ssh cirros@IP hostname with the key pair prints the server name (key and hostname from the metadata service)', async () => {
    assert.equal(await sshHostname(guestIp, 'myfirstinstance'), 'myfirstinstance');
  });

  it('without the ICMP rule, ping fails', async () => {
    const rules = await json(['security', 'group', 'rule', 'list', '--protocol', 'icmp', 'default'], admin);
    for (const r of rules) await ok(['security', 'group', 'rule', 'delete', r.ID], admin);
    const end = Date.now() + 30_000;
    let blocked = false;
    while (!blocked && Date.now() < end) {
      blocked = !(await pingsFromHost(guestIp));
      if (!blocked) await sleep(1000);
    }
    assert.ok(blocked, 'ping still answered without an ICMP rule');
  });

  it('self-service: a project network behind a router on the provider network; SSH through a floating IP', async () => {
    await ok(['security', 'group', 'rule', 'create', '--proto', 'icmp', 'default'], admin);
    await ok(['network', 'set', '--external', 'provider'], admin);
    await ok(['network', 'create', 'selfservice'], admin);
    await ok(
      [
        'subnet',
        'create',
        '--network',
        'selfservice',
        '--dns-nameserver',
        '198.51.100.53',
        '--gateway',
        '10.10.1.1',
        '--subnet-range',
        '10.10.1.0/24',
        'selfservice',
      ],
      admin,
    );
    await ok(['router', 'create', 'router'], admin);
    await ok(['router', 'add', 'subnet', 'router', 'selfservice'], admin);
    await ok(['router', 'set', 'router', '--external-gateway', 'provider'], admin);
    const net = await json(['network', 'show', 'selfservice'], admin);
    await ok(
      ['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--nic', `net-id=${net.id}`, '--key-name', 'mykey', 'selfserver'],
      admin,
    );
    await waitStatus('selfserver', 'ACTIVE');
    const fip = (await json(['floating', 'ip', 'create', 'provider'], admin)).floating_ip_address as string;
    await ok(['server', 'add', 'floating', 'ip', 'selfserver', fip], admin);
    // As in the seed: `server list` shows the floating IP beside the fixed address.
    let shown = '';
    for (let i = 0; i < 20 && !shown.includes(fip); i++) {
      shown = JSON.stringify((await json(['server', 'show', 'selfserver'], admin)).addresses);
      if (!shown.includes(fip)) await sleep(500);
    }
    assert.ok(shown.includes(fip), shown);
    assert.equal(await sshHostname(fip, 'selfserver'), 'selfserver');
    await ok(['server', 'delete', '--wait', 'selfserver'], admin);
  });

  it('server delete removes the port, its tap and its DHCP entry', async () => {
    await ok(['server', 'delete', '--wait', 'myfirstinstance'], admin);
    const end = Date.now() + 60_000;
    let links = '';
    while (Date.now() < end) {
      links = (await lab.exec('host', ['ip', '-o', 'link', 'show'])).stdout;
      if (!/\btap[0-9a-f]{8}-/.test(links)) break;
      await sleep(1000);
    }
    assert.doesNotMatch(links, /\btap[0-9a-f]{8}-/);
    const ports = await json(['port', 'list', '--device-owner', 'compute:nova'], admin);
    assert.equal(ports.length, 0);
  });
});
