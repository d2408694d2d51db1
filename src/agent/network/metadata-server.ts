import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import type { Bus } from '../../lib/bus/bus.js';
import type { Logger } from '../../lib/log.js';
import { CONDUCTOR_TOPIC, type InstanceSpec } from '../../lib/rpc/compute-rpc.js';
import { renderMetadata, type InstanceMetadata } from './metadata-content.js';

/**
 * The agent's metadata service (Nova's metadata API behind Neutron's proxy):
 * proxies in DHCP namespaces forward guests' requests over a unix socket with
 * the network and source address; the server they came from is the port with
 * that address on that network, and the conductor says what it holds.
 */
export class MetadataServer {
  #server: Server | undefined;
  /** `<network id> <ip>` → server id, from the DHCP state the agent last applied. */
  #owners = new Map<string, string>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  setOwners(entries: { networkId: string; ip: string; instanceId: string }[]): void {
    this.#owners = new Map(entries.map((e) => [`${e.networkId} ${e.ip}`, e.instanceId]));
  }

  async start(socketPath: string): Promise<void> {
    await rm(socketPath, { force: true });
    this.#server = createServer((req, res) => {
      void this.#answer(String(req.headers['x-kumo-network-id'] ?? ''), String(req.headers['x-forwarded-for'] ?? ''), req.url ?? '/')
        .then((a) => {
          if (!a) res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
          else res.writeHead(200, { 'content-type': a.contentType }).end(a.body);
        })
        .catch((e: unknown) => {
          this.log.warn({ err: e }, 'metadata request failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Error');
        });
    });
    await new Promise<void>((ok, fail) => this.#server!.once('error', fail).listen(socketPath, ok));
  }

  async #answer(networkId: string, ip: string, path: string): Promise<{ contentType: string; body: string | Buffer } | null> {
    const uuid = this.#owners.get(`${networkId} ${ip.replace(/^::ffff:/, '')}`);
    if (!uuid) return null;
    const { instance } = await this.bus.call<{ instance: InstanceSpec | null }>(
      { topic: CONDUCTOR_TOPIC },
      'instance_spec',
      { uuid },
      { timeoutMs: 10_000 },
    );
    if (!instance) return null;
    return renderMetadata(path, metadataOf(instance, ip));
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => (this.#server ? this.#server.close(() => done()) : done()));
  }
}

function metadataOf(i: InstanceSpec, ip: string): InstanceMetadata {
  return {
    uuid: i.uuid,
    name: i.displayName,
    hostname: i.hostname,
    projectId: i.projectId,
    availabilityZone: i.availabilityZone ?? 'nova',
    launchIndex: i.launchIndex,
    reservationId: '',
    flavorName: i.flavor.name,
    publicKeys: i.keyName && i.keyData ? { [i.keyName]: i.keyData.trim() } : {},
    meta: i.metadata,
    userData: i.userData,
    fixedIp: ip,
    floatingIp: null,
    securityGroups: ['default'],
    networkData: { links: [], networks: [], services: [] },
  };
}
