/**
 * The agent's metadata service over its unix socket, as the proxy in a DHCP
 * namespace calls it: the server is found by network and source address, the
 * conductor (here a stand-in on the in-process bus) says what it holds; the
 * floating IP is EC2's public-ipv4; a guest posts its password once.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MetadataServer } from '../../src/agent/network/metadata-server.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { createLogger } from '../../src/lib/log.js';
import { CONDUCTOR_TOPIC } from '../../src/lib/rpc/compute-rpc.js';

const UUID = '6f3b2c1e-1111-4222-8333-944455556666';
const NET = 'net-1';

describe('metadata server', () => {
  let dir: string;
  let socket: string;
  const bus = new InProcessBus();
  const server = new MetadataServer(bus, createLogger({ level: 'silent' }));
  const passwords = new Map<string, string>();

  const call = (method: string, path: string, from: string, body?: string): Promise<{ status: number; body: string }> =>
    new Promise((done, fail) => {
      const req = request({ socketPath: socket, method, path, headers: { 'x-kumo-network-id': NET, 'x-forwarded-for': from } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      });
      req.once('error', fail);
      req.end(body);
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kumo-metadata-'));
    socket = join(dir, 'metadata.sock');
    await bus.serve(
      { topic: CONDUCTOR_TOPIC },
      {
        instance_spec: (a) => ({
          instance:
            a.uuid === UUID
              ? {
                  uuid: UUID,
                  displayName: 'vm',
                  hostname: 'vm',
                  projectId: 'p',
                  availabilityZone: 'nova',
                  launchIndex: 0,
                  flavor: { name: 'm1.small' },
                  keyName: null,
                  keyData: null,
                  metadata: {},
                  userData: null,
                }
              : null,
          password: passwords.get(String(a.uuid)) ?? null,
        }),
        set_password: (a) => {
          if (a.uuid !== UUID) return { status: 'not_found' };
          if (passwords.has(UUID)) return { status: 'already_set' };
          passwords.set(UUID, String(a.password));
          return { status: 'set' };
        },
      },
    );
    await server.start(socket);
    server.setOwners([{ networkId: NET, ip: '10.0.0.5', instanceId: UUID, floatingIp: '203.0.113.77' }]);
  });
  after(async () => {
    await server.close();
    await bus.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the owner of the address on that network, with its floating IP as public-ipv4', async () => {
    assert.deepEqual(await call('GET', '/latest/meta-data/public-ipv4', '10.0.0.5'), { status: 200, body: '203.0.113.77' });
    assert.deepEqual(await call('GET', '/latest/meta-data/local-ipv4', '10.0.0.5'), { status: 200, body: '10.0.0.5' });
    assert.equal((await call('GET', '/latest/meta-data/public-ipv4', '10.0.0.6')).status, 404);
  });

  it('a posted password is kept once (409 after), shown on the password path; too long is 400; other methods 405', async () => {
    assert.deepEqual(await call('GET', '/openstack/latest/password', '10.0.0.5'), { status: 200, body: '' });
    assert.equal((await call('POST', '/openstack/2013-10-17/password', '10.0.0.5', 'x'.repeat(257))).status, 400);
    assert.equal((await call('POST', '/openstack/2013-10-17/password', '10.0.0.5', 'secret')).status, 200);
    assert.equal((await call('POST', '/openstack/latest/password', '10.0.0.5', 'other')).status, 409);
    assert.deepEqual(await call('GET', '/openstack/latest/password', '10.0.0.5'), { status: 200, body: 'secret' });
    // Only the password path takes a POST, and only from versions that have it.
    assert.equal((await call('POST', '/openstack/2012-08-10/password', '10.0.0.5', 'x')).status, 405);
    assert.equal((await call('POST', '/openstack/latest/password', '10.0.0.9', 'x')).status, 404);
    assert.equal((await call('PUT', '/openstack/latest/meta_data.json', '10.0.0.5', '{}')).status, 405);
  });
});
