/**
 * Two hypervisors, simulated: lab namespaces hv1 and hv2 joined by a
 * management network (a veth pair, 10.42.0.0/24) that carries VXLAN. hv1 is
 * `kumo up` (every API, the conductor and hv1's agent); hv2 is a second
 * `kumo agent`; they talk over RabbitMQ (an exchange of this run only).
 * Servers on one self-service network, one on each host, ping each other
 * over VXLAN; a server of another project, on a network with the same
 * addresses, reaches neither. Everything is torn down by pid and namespace,
 * also on failure, and the teardown checks that nothing of the lab is left.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { ensureGuestImage } from '../support/guest-image.js';
import { pingFromGuest, sshInNetns } from '../support/guest-ssh.js';
import { KumoProcess, ROOT, baseEnv, ensureBuilt, freePort, json, ok, onPath, parseOpenrc, type Env } from '../support/kumo-cli.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';
import { recordedQemuPids } from '../support/qemu-pids.js';

const AMQP_URL = process.env.KUMO_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const rabbitUp = await new Promise<boolean>((done) => {
  const u = new URL(AMQP_URL);
  const s = connect({ host: u.hostname, port: Number(u.port || 5672) });
  s.setTimeout(2000, () => {
    s.destroy();
    done(false);
  });
  s.once('connect', () => {
    s.end();
    done(true);
  });
  s.once('error', () => done(false));
});
const unavailable = await labUnavailable();
const tools = onPath('openstack') && onPath('qemu-system-x86_64') && onPath('ssh-keygen') && onPath('dnsmasq');
const skip =
  unavailable ??
  (!process.env.CI && !tools ? 'the openstack CLI, QEMU, ssh-keygen or dnsmasq is not installed' : undefined) ??
  (!process.env.CI && !rabbitUp ? `no RabbitMQ at ${AMQP_URL}` : undefined) ??
  false;

const TUNNEL = { hv1: '10.42.0.1', hv2: '10.42.0.2' } as const;

describe('two hypervisors: one self-service network over VXLAN, another project kept apart', { skip, timeout: 1_200_000 }, () => {
  let tmp: string;
  let lab: NetnsLab;
  let kumo: KumoProcess;
  let agent2: ChildProcess | undefined;
  const agent2Out: string[] = [];
  let admin: Env;
  let other: Env;
  let key: string;
  const ip: Record<string, string> = {};
  const netns = (host: 'hv1' | 'hv2'): string => `${lab.prefix}-${host}-`;

  async function waitActive(name: string, env: Env): Promise<Record<string, unknown>> {
    const end = Date.now() + 300_000;
    for (;;) {
      const s = await json(['server', 'show', name], env);
      if (s.status === 'ACTIVE') return s;
      if (s.status === 'ERROR')
        assert.fail(`${name} went to ERROR: ${JSON.stringify(s.fault)}\n${kumo.diagnostics()}\n${agent2Out.join('')}`);
      assert.ok(Date.now() < end, `${name} is ${s.status}, not ACTIVE`);
      await sleep(1000);
    }
  }

  /** The address a server has on `network` (the CLI shows addresses as a map, or as text in older releases). */
  async function addressOn(name: string, network: string, env: Env): Promise<string> {
    const addresses = (await json(['server', 'show', name], env)).addresses as Record<string, string[]> | string;
    const found = typeof addresses === 'string' ? new RegExp(`${network}=([0-9.]+)`).exec(addresses)?.[1] : addresses[network]?.[0];
    assert.ok(found, `${name} has no address on ${network}: ${JSON.stringify(addresses)}`);
    return found;
  }

  /** The DHCP namespace of a network (the DHCP role runs on hv1, the first host by name): a way into its guests. */
  const dhcpNs = async (network: string, env: Env): Promise<string> =>
    `${netns('hv1')}dhcp-${String((await json(['network', 'show', network], env)).id).slice(0, 11)}`;

  let agent2Env: Record<string, string> = {};

  /** hv2: an agent of its own, reaching the APIs as the admin (service_auth) and the rest over the bus. */
  async function startAgent2(): Promise<void> {
    agent2Out.length = 0;
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'kumo.js'), 'agent', '--data-dir', join(tmp, 'hv2')], {
      cwd: ROOT,
      env: agent2Env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent2 = child;
    child.stdout?.on('data', (d: Buffer) => agent2Out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => agent2Out.push(d.toString()));
    const end = Date.now() + 30_000;
    while (!agent2Out.join('').includes('agent of host hv2 running')) {
      assert.ok(Date.now() < end && child.exitCode === null, `the hv2 agent did not start:\n${agent2Out.join('')}`);
      await sleep(200);
    }
  }

  /** Ends the hv2 agent by its pid (SIGTERM, then SIGKILL after 10 s); its guests keep running. */
  async function stopAgent2(): Promise<void> {
    const child = agent2;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    const killer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }

  before(async () => {
    ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'kumo-e2e-multihost-'));
    // dnsmasq (as nobody) re-reads its hosts file under the data dir: the path must be traversable.
    await chmod(tmp, 0o711);
    const home = join(tmp, 'home');
    await mkdir(home);
    lab = await NetnsLab.create(['hv1', 'hv2']);
    // The management network: hv1's mgmt0 ↔ hv2's mgmt0, the underlay of VXLAN.
    await new IpLinks({ netns: lab.ns('hv1') }).ensureVeth('mgmt0', 'mgmt1', { peerNetns: lab.ns('hv2') });
    await new IpLinks({ netns: lab.ns('hv1') }).ensureAddress('mgmt0', `${TUNNEL.hv1}/24`);
    await new IpLinks({ netns: lab.ns('hv2') }).ensureAddress('mgmt1', `${TUNNEL.hv2}/24`);
    await lab.exec('hv1', ['ping', '-c', '1', '-W', '2', TUNNEL.hv2]);

    const bus = { KUMO_BUS_URL: AMQP_URL, KUMO_BUS_EXCHANGE: `kumo_test_${randomBytes(5).toString('hex')}` };
    const dataDir = join(tmp, 'hv1');
    kumo = new KumoProcess(dataDir, await freePort(), home, ['--image-port', '0', '--driver', 'qemu'], {
      ...bus,
      KUMO_AGENT_HOST: 'hv1',
      KUMO_AGENT_NETNS: lab.ns('hv1'),
      KUMO_AGENT_TUNNEL_IP: TUNNEL.hv1,
      KUMO_NETWORK_NETNS_PREFIX: netns('hv1'),
      KUMO_AGENT_HEARTBEAT_INTERVAL: '2',
    });
    await kumo.start();
    admin = { ...baseEnv(home), ...parseOpenrc(await readFile(join(dataDir, 'admin-openrc'), 'utf8')) };

    agent2Env = {
      ...baseEnv(home),
      ...bus,
      KUMO_LOG_LEVEL: 'warn',
      KUMO_AGENT_HOST: 'hv2',
      KUMO_AGENT_DRIVER: 'qemu',
      KUMO_AGENT_NETNS: lab.ns('hv2'),
      KUMO_AGENT_TUNNEL_IP: TUNNEL.hv2,
      KUMO_NETWORK_NETNS_PREFIX: netns('hv2'),
      KUMO_AGENT_HEARTBEAT_INTERVAL: '2',
      KUMO_SERVICE_AUTH_URL: admin.OS_AUTH_URL!,
      KUMO_SERVICE_AUTH_USERNAME: admin.OS_USERNAME!,
      KUMO_SERVICE_AUTH_PASSWORD: admin.OS_PASSWORD!,
      KUMO_SERVICE_AUTH_PROJECT_NAME: admin.OS_PROJECT_NAME!,
    };
    await startAgent2();

    await ok(['flavor', 'create', '--id', '1', '--vcpus', '1', '--ram', '128', '--disk', '2', 'm1.small'], admin);
    await ok(
      ['image', 'create', 'cirros', '--file', await ensureGuestImage(), '--disk-format', 'qcow2', '--container-format', 'bare', '--public'],
      admin,
    );
    key = join(tmp, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  });

  after(async () => {
    const qemu = tmp ? [...recordedQemuPids(join(tmp, 'hv1', 'instances')), ...recordedQemuPids(join(tmp, 'hv2', 'instances'))] : [];
    await stopAgent2();
    if (kumo) await kumo.stop();
    // No namespace of the lab (hosts, DHCP, routers) survives the teardown; links and rules went with them.
    if (lab) assert.deepEqual(await lab.teardown(qemu), []);
    if (tmp && !process.env.KUMO_TEST_KEEP) await rm(tmp, { recursive: true, force: true });
  });

  it('network agent list shows a Linux bridge agent on each host, alive; compute service list both computes', async () => {
    const end = Date.now() + 60_000;
    let agents: Record<string, unknown>[];
    for (;;) {
      agents = await json(['network', 'agent', 'list'], admin);
      const l2 = agents.filter((a) => a['Agent Type'] === 'Linux bridge agent' && a.Alive === true);
      if (l2.length === 2) break;
      assert.ok(Date.now() < end, JSON.stringify(agents));
      await sleep(1000);
    }
    assert.deepEqual(
      agents
        .filter((a) => a['Agent Type'] === 'Linux bridge agent')
        .map((a) => a.Host)
        .sort(),
      ['hv1', 'hv2'],
    );
    const computes = await json(['compute', 'service', 'list', '--service', 'nova-compute'], admin);
    assert.deepEqual(computes.map((c: Record<string, string>) => c.Host).sort(), ['hv1', 'hv2']);
  });

  it('servers on one self-service network, one per host, ping each other over VXLAN', async () => {
    await ok(['network', 'create', 'selfservice'], admin);
    await ok(['subnet', 'create', '--network', 'selfservice', '--subnet-range', '10.20.0.0/24', 'selfservice'], admin);
    await ok(['security', 'group', 'rule', 'create', '--proto', 'icmp', 'default'], admin);
    await ok(['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', 'default'], admin);
    await ok(['keypair', 'create', '--public-key', `${key}.pub`, 'mykey'], admin);
    for (const [name, host] of [
      ['vm1', 'hv1'],
      ['vm2', 'hv2'],
    ] as const) {
      await ok(
        [
          'server',
          'create',
          ...['--flavor', 'm1.small', '--image', 'cirros', '--network', 'selfservice', '--key-name', 'mykey'],
          ...['--availability-zone', `nova:${host}`, name],
        ],
        admin,
      );
    }
    for (const [name, host] of [
      ['vm1', 'hv1'],
      ['vm2', 'hv2'],
    ] as const) {
      const s = await waitActive(name, admin);
      assert.equal(s['OS-EXT-SRV-ATTR:host'], host);
      ip[name] = await addressOn(name, 'selfservice', admin);
    }
    // Each host's VXLAN device floods to the other's tunnel address.
    const vni = (await json(['network', 'show', 'selfservice'], admin))['provider:segmentation_id'];
    for (const [host, peer] of [
      ['hv1', TUNNEL.hv2],
      ['hv2', TUNNEL.hv1],
    ] as const) {
      const fdb = (await lab.exec(host, ['bridge', 'fdb', 'show', 'dev', `vxlan-${vni}`])).stdout;
      assert.match(fdb, new RegExp(`00:00:00:00:00:00 dst ${peer.replaceAll('.', '\\.')}`), `${host}: ${fdb}`);
    }
    const via = await dhcpNs('selfservice', admin);
    // vm2 took its address from DHCP on hv1 across the tunnel, and SSH to it crosses it too.
    assert.equal(await sshInNetns(via, key, ip.vm2!, 'hostname'), 'vm2');
    assert.equal(await sshInNetns(via, key, ip.vm1!, 'hostname'), 'vm1');
    assert.equal(await sshInNetns(via, key, ip.vm1!, pingFromGuest(ip.vm2!)), 'reachable');
    assert.equal(await sshInNetns(via, key, ip.vm2!, pingFromGuest(ip.vm1!)), 'reachable');
  });

  it('a restarted agent rebuilds what is missing and removes what is stale, its guest running on', async () => {
    const vni = (await json(['network', 'show', 'selfservice'], admin))['provider:segmentation_id'];
    const qemuBefore = recordedQemuPids(join(tmp, 'hv2', 'instances'));
    assert.equal(qemuBefore.length, 1);
    await stopAgent2();
    // Damage while it is down: the tunnel gone, a stale bridge of the kind the agent makes.
    await lab.exec('hv2', ['ip', 'link', 'del', `vxlan-${vni}`]);
    await lab.exec('hv2', ['ip', 'link', 'add', 'brqdeadbeef-00', 'type', 'bridge']);
    await startAgent2();
    const end = Date.now() + 60_000;
    let links: string;
    for (;;) {
      links = (await lab.exec('hv2', ['ip', '-o', 'link', 'show'])).stdout;
      if (links.includes(`vxlan-${vni}`) && !links.includes('brqdeadbeef-00')) break;
      assert.ok(Date.now() < end, `hv2 not converged: ${links}`);
      await sleep(1000);
    }
    // The guest was never restarted, and talks over the rebuilt tunnel again.
    assert.deepEqual(recordedQemuPids(join(tmp, 'hv2', 'instances')), qemuBefore);
    process.kill(qemuBefore[0]!, 0);
    const via = await dhcpNs('selfservice', admin);
    assert.equal(await sshInNetns(via, key, ip.vm2!, pingFromGuest(ip.vm1!)), 'reachable');
  });

  it('a server of another project, on a network with the same addresses, reaches neither (nor they it)', async () => {
    await ok(['project', 'create', 'other'], admin);
    const password = randomBytes(9).toString('hex');
    await ok(['user', 'create', '--project', 'other', '--password', password, 'otheruser'], admin);
    await ok(['role', 'add', '--project', 'other', '--user', 'otheruser', 'member'], admin);
    other = { ...admin, OS_USERNAME: 'otheruser', OS_PASSWORD: password, OS_PROJECT_NAME: 'other' };
    await ok(['network', 'create', 'othernet'], other);
    // The same range as selfservice, addresses from .100 up: vm1 and vm2's addresses mean nothing here.
    await ok(
      [
        'subnet',
        'create',
        '--network',
        'othernet',
        '--subnet-range',
        '10.20.0.0/24',
        '--allocation-pool',
        'start=10.20.0.100,end=10.20.0.200',
        'othernet',
      ],
      other,
    );
    await ok(['security', 'group', 'rule', 'create', '--proto', 'icmp', 'default'], other);
    await ok(['security', 'group', 'rule', 'create', '--proto', 'tcp', '--dst-port', '22', 'default'], other);
    await ok(['keypair', 'create', '--public-key', `${key}.pub`, 'otherkey'], other);
    await ok(
      ['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--network', 'othernet', '--key-name', 'otherkey', 'vm3'],
      other,
    );
    await waitActive('vm3', other);
    ip.vm3 = await addressOn('vm3', 'othernet', other);
    assert.ok(![ip.vm1, ip.vm2].includes(ip.vm3), JSON.stringify(ip));
    const via = await dhcpNs('othernet', other);
    assert.equal(await sshInNetns(via, key, ip.vm3, 'hostname'), 'vm3');
    // vm3 reaches its own network (the DHCP port, the first pool address) ...
    assert.equal(await sshInNetns(via, key, ip.vm3, pingFromGuest('10.20.0.100')), 'reachable');
    // ... but not the other project's servers, though their addresses are on its own subnet's range.
    assert.equal(await sshInNetns(via, key, ip.vm3, pingFromGuest(ip.vm1!)), 'unreachable');
    assert.equal(await sshInNetns(via, key, ip.vm3, pingFromGuest(ip.vm2!)), 'unreachable');
    const mine = await dhcpNs('selfservice', admin);
    assert.equal(await sshInNetns(mine, key, ip.vm1!, pingFromGuest(ip.vm3)), 'unreachable');
    // The other project sees none of the admin project's servers or networks.
    const servers = await json(['server', 'list'], other);
    assert.deepEqual(
      servers.map((s: Record<string, string>) => s.Name),
      ['vm3'],
    );
    const nets = await json(['network', 'list'], other);
    assert.deepEqual(
      nets.map((n: Record<string, string>) => n.Name),
      ['othernet'],
    );
  });
});
