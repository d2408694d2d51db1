/**
 * The network agent against a host state served on an in-process bus, in a
 * lab namespace playing the host (GUIDE §5). One piece of the state cannot be
 * built (a router whose internal leg names a bridge no network has): the
 * guest's tap and firewall are still made, its port is reported up, plug
 * succeeds, the pass reports what failed, and nothing the agent owns is
 * removed while the wanted set is incomplete.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IpLinks } from '../../src/agent/host/ip-links.js';
import { runCommand } from '../../src/agent/host/host-process.js';
import { NetworkAgent, PartialSyncError } from '../../src/agent/network/network-agent.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { createLogger } from '../../src/lib/log.js';
import { NETWORK_TOPIC, type HostState, type PortsStatus } from '../../src/lib/rpc/network-rpc.js';
import { NetnsLab, labUnavailable } from '../support/netns-lab.js';

const unavailable = await labUnavailable();
const noIptables = await runCommand(['iptables-restore', '--version']).then(
  () => undefined,
  () => 'iptables is not installed (apt-get install iptables)',
);
const skip = unavailable ?? (process.env.CI ? undefined : noIptables) ?? false;

const NET = '3f0c1a52-7d1e-4c53-9a55-0c4d2f6b1a01';
const PORT = '9b2e4c11-0a6d-4f7e-8c3b-5d1e2f3a4b01';
const ROUTER = 'c4d5e6f7-1a2b-4c3d-8e9f-0a1b2c3d4e01';

describe('network agent: one failing piece does not hold up the host', { skip }, () => {
  let lab: NetnsLab;
  let dir: string;
  let bus: InProcessBus;
  let agent: NetworkAgent;
  let state: HostState;
  const up: string[] = [];
  const host = () => new IpLinks({ netns: lab.ns('host') });

  before(async () => {
    lab = await NetnsLab.create(['host']);
    dir = await mkdtemp(join(tmpdir(), 'kumo-netagent-'));
    bus = new InProcessBus();
    state = {
      networks: [
        { id: NET, type: 'local', physicalNetwork: null, segmentationId: null, mtu: 1450, bridge: `brq${NET.slice(0, 11)}`, peers: [] },
      ],
      ports: [
        {
          id: PORT,
          networkId: NET,
          tap: `tap${PORT.slice(0, 11)}`,
          mac: 'fa:16:3e:00:00:01',
          ips: ['10.9.0.5'],
          allowedAddressPairs: [],
          portSecurity: true,
          adminUp: true,
          rules: [],
        },
      ],
      dhcp: [],
      routers: [
        {
          id: ROUTER,
          gateway: null,
          interfaces: [
            {
              portId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeee01',
              bridge: 'brqmissing-00',
              mac: 'fa:16:3e:00:00:02',
              cidr: '10.9.0.1/24',
              mtu: 1450,
            },
          ],
          floatingIps: [],
          routes: [],
        },
      ],
    };
    await bus.serve(
      { topic: NETWORK_TOPIC },
      {
        agent_report: () => Promise.resolve({}),
        host_state: () => Promise.resolve(state as never),
        ports_status: (a) => {
          up.push(...(a as unknown as PortsStatus).up);
          return Promise.resolve({});
        },
      },
    );
    agent = new NetworkAgent({
      host: 'hv1',
      tunnelIp: '',
      dhcp: false,
      l3: true,
      physicalNetworks: new Map(),
      providerGateway: '',
      netnsPrefix: `${lab.prefix}-`,
      stateDir: join(dir, 'network'),
      bus,
      log: createLogger({ level: 'silent' }),
      dataplane: true,
      hostNetns: lab.ns('host'),
    });
    // Something the agent owns and the state no longer wants (removed only by a whole pass).
    await host().ensureBridge('brq0000000a-0b');
  });

  after(async () => {
    await bus?.close();
    // The agent's router namespace (under the lab's prefix) goes with the lab.
    if (lab) assert.deepEqual(await lab.teardown([]), []);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plug succeeds: the tap is on its bridge and the port is reported up', async () => {
    await agent.plug([{ portId: PORT, vifDetails: { tap: `tap${PORT.slice(0, 11)}` } } as never]);
    const tap = await host().get(`tap${PORT.slice(0, 11)}`);
    assert.ok(tap, 'no tap');
    assert.ok(up.includes(PORT));
  });

  it('the pass names the router that failed; the stale bridge stays until a whole pass', async () => {
    await assert.rejects(
      agent.sync(),
      (e: unknown) => e instanceof PartialSyncError && e.firewall && e.failed.join() === `router ${ROUTER}`,
    );
    assert.ok(await host().get('brq0000000a-0b'), 'removed during an incomplete pass');
    state = { ...state, routers: [] };
    await agent.sync();
    assert.equal(await host().get('brq0000000a-0b'), undefined);
  });

  it('a port whose tap cannot be made fails plug with the reason', async () => {
    // A tap on a network the host state does not carry is never made.
    await assert.rejects(
      agent.plug([{ portId: 'p-unknown', vifDetails: { tap: 'tap12345678-9a' } } as never]),
      /no tap tap12345678-9a for port p-unknown/,
    );
  });
});
