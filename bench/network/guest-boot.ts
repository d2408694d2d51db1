/**
 * Guest network readiness (`npm run bench:guest-network`), on a real
 * `kumo up` with QEMU whose data plane lives in a lab namespace this
 * benchmark creates and deletes (GUIDE §5): the seed's flat provider network
 * (203.0.113.0/24, the lab host as gateway), and GUESTS (default 3) servers
 * of the tiny guest booted one after the other. For each: POST → ACTIVE,
 * ACTIVE → DHCP lease (dnsmasq's lease file has the port's MAC) and ACTIVE →
 * SSH answering (`ssh cirros@IP true` from the lab host, with the key pair).
 * Prints a JSON report; docs/benchmarks.md records it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../src/agent/host/host-process.js';
import { ensureGuestImage } from '../../test/support/guest-image.js';
import { NetnsLab } from '../../test/support/netns-lab.js';
import { recordedQemuPids } from '../../test/support/qemu-pids.js';
import { connect } from '../compute/cloud-client.js';
import { ensureBuilt, startKumo } from '../identity/kumo-process.js';
import { machineInfo } from '../lib/proc-stats.js';

const GUESTS = Number(process.env.GUESTS ?? '3');
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms until it is true; the seconds since `from`, or null after `limitMs`. */
async function until(probe: () => Promise<boolean> | boolean, from: number, limitMs: number): Promise<number | null> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await probe()) return (performance.now() - from) / 1000;
    await sleep(100);
  }
  return null;
}

const median = (xs: number[]): number | null => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);

async function main(): Promise<void> {
  ensureBuilt(log);
  const image = await ensureGuestImage();
  const tmp = mkdtempSync(join(tmpdir(), 'kumo-bench-guestnet-'));
  // dnsmasq (as nobody) reads its files under the data dir: the path must be traversable.
  chmodSync(tmp, 0o711);
  const dataDir = join(tmp, 'data');
  const lab = await NetnsLab.create(['host']);
  let kumo: Awaited<ReturnType<typeof startKumo>> | undefined;
  try {
    kumo = await startKumo({
      dataDir,
      driver: 'qemu',
      env: {
        ...lab.agentEnv('host'),
        KUMO_AGENT_HEARTBEAT_INTERVAL: '2',
      },
    });
    const c = await connect(dataDir);
    const net = await c.call<{ network: { id: string } }>('network', 'POST', '/v2.0/networks', {
      network: { name: 'provider', shared: true, 'provider:network_type': 'flat', 'provider:physical_network': 'provider' },
    });
    await c.call('network', 'POST', '/v2.0/subnets', {
      subnet: {
        network_id: net.network.id,
        ip_version: 4,
        cidr: '203.0.113.0/24',
        gateway_ip: '203.0.113.1',
        allocation_pools: [{ start: '203.0.113.101', end: '203.0.113.250' }],
      },
    });
    const groups = await c.call<{ security_groups: { id: string; name: string }[] }>(
      'network',
      'GET',
      `/v2.0/security-groups?project_id=${c.projectId}`,
    );
    const def = groups.security_groups.find((g) => g.name === 'default')!;
    for (const rule of [{ protocol: 'icmp' }, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 }])
      await c.call('network', 'POST', '/v2.0/security-group-rules', {
        security_group_rule: { security_group_id: def.id, direction: 'ingress', remote_ip_prefix: '0.0.0.0/0', ...rule },
      });
    const key = join(tmp, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await c.call('compute', 'POST', '/os-keypairs', { keypair: { name: 'bench', public_key: readFileSync(`${key}.pub`, 'utf8') } });
    const img = await c.call<{ id: string }>('image', 'POST', '/v2/images', {
      name: 'guest',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'public',
    });
    await c.raw('image', 'PUT', `/v2/images/${img.id}/file`, readFileSync(image), { 'content-type': 'application/octet-stream' });
    await c.call('compute', 'POST', '/flavors', { flavor: { name: 'bench.small', id: 'bench-small', ram: 128, vcpus: 1, disk: 1 } });

    const runs: { active: number | null; lease: number | null; ssh: number | null; ip: string }[] = [];
    for (let i = 0; i < GUESTS; i++) {
      const t0 = performance.now();
      const made = await c.call<{ server: { id: string } }>('compute', 'POST', '/servers', {
        server: { name: `g${i}`, imageRef: img.id, flavorRef: 'bench-small', key_name: 'bench', networks: [{ uuid: net.network.id }] },
      });
      const id = made.server.id;
      let ip = '';
      const active = await until(
        async () => {
          const s = (
            await c.call<{ server: { status: string; fault?: { message: string }; addresses: Record<string, { addr: string }[]> } }>(
              'compute',
              'GET',
              `/servers/${id}`,
            )
          ).server;
          if (s.status === 'ERROR') throw new Error(`server ${id} went to ERROR: ${s.fault?.message ?? 'no fault'}`);
          ip = s.addresses.provider?.[0]?.addr ?? '';
          return s.status === 'ACTIVE';
        },
        t0,
        300_000,
      );
      const tActive = performance.now();
      const port = await c.call<{ ports: { mac_address: string }[] }>('network', 'GET', `/v2.0/ports?device_id=${id}`);
      const mac = port.ports[0]!.mac_address;
      const leases = join(dataDir, 'network', 'dhcp', net.network.id, 'leases');
      const sshProbe = (): Promise<boolean> =>
        runCommand(
          [
            'ip',
            'netns',
            'exec',
            lab.ns('host'),
            'ssh',
            '-i',
            key,
            ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=2', '-o', 'BatchMode=yes'],
            `cirros@${ip}`,
            'true',
          ],
          { timeoutMs: 10_000 },
        ).then(
          () => true,
          () => false,
        );
      const lease = await until(() => existsSync(leases) && readFileSync(leases, 'utf8').includes(mac), tActive, 180_000);
      const ssh = await until(sshProbe, tActive, 240_000);
      runs.push({ active, lease, ssh, ip });
      log(
        `guest ${i}: ACTIVE ${active?.toFixed(2)} s after POST; lease ${lease?.toFixed(2)} s, SSH ${ssh?.toFixed(2)} s after ACTIVE (${ip})`,
      );
      await c.call('compute', 'DELETE', `/servers/${id}`);
      await until(
        async () => (await fetch(`${c.url.compute}/servers/${id}`, { headers: { 'x-auth-token': c.token } })).status === 404,
        performance.now(),
        60_000,
      );
    }
    const pick = (k: 'active' | 'lease' | 'ssh'): number[] => runs.flatMap((r) => (r[k] === null ? [] : [r[k]!]));
    const report = {
      machine: machineInfo(),
      accelerator: existsSync('/dev/kvm') ? 'kvm (if usable)' : 'tcg',
      guests: GUESTS,
      runs,
      medianSeconds: { postToActive: median(pick('active')), activeToLease: median(pick('lease')), activeToSsh: median(pick('ssh')) },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    const qemu = existsSync(join(dataDir, 'instances')) ? recordedQemuPids(join(dataDir, 'instances')) : [];
    await kumo?.stop();
    const left = await lab.teardown(qemu);
    if (left.length) log(`WARNING: namespaces left: ${left.join(', ')}`);
    if (!process.env.BENCH_KEEP) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
