import { createServer, type IncomingMessage, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import type { Bus } from '../../lib/bus/bus.js';
import type { Logger } from '../../lib/log.js';
import { CONDUCTOR_TOPIC, type InstanceSpecReply, type SetPasswordReply } from '../../lib/rpc/compute-rpc.js';
import { instanceMetadata, isPasswordPath, renderMetadata, type MetadataAnswer } from './metadata-content.js';

/** Nova's limit on a posted password (it is stored in four 255-character chunks). */
const MAX_PASSWORD = 256;

interface Owner {
  instanceId: string;
  floatingIp: string | null;
}

/**
 * The agent's metadata service (Nova's metadata API behind Neutron's proxy):
 * proxies in DHCP namespaces forward guests' requests over a unix socket with
 * the network and source address; the server they came from is the port with
 * that address on that network, and the conductor says what it holds.
 */
export class MetadataServer {
  #server: Server | undefined;
  /** `<network id> <ip>` → server id and floating IP, from the DHCP state the agent last applied. */
  #owners = new Map<string, Owner>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  setOwners(entries: { networkId: string; ip: string; instanceId: string; floatingIp?: string | null }[]): void {
    this.#owners = new Map(entries.map((e) => [`${e.networkId} ${e.ip}`, { instanceId: e.instanceId, floatingIp: e.floatingIp ?? null }]));
  }

  async start(socketPath: string): Promise<void> {
    await rm(socketPath, { force: true });
    this.#server = createServer((req, res) => {
      const from = { networkId: String(req.headers['x-kumo-network-id'] ?? ''), ip: String(req.headers['x-forwarded-for'] ?? '') };
      const path = req.url ?? '/';
      const answer =
        req.method === 'POST' && isPasswordPath(path)
          ? readBody(req, MAX_PASSWORD).then((body) =>
              body === null ? status(400, 'Request is too large.') : this.#postPassword(from, body),
            )
          : req.method === 'GET' || req.method === 'HEAD'
            ? this.#answer(from.networkId, from.ip, path)
            : Promise.resolve(status(405, 'Method Not Allowed'));
      void answer
        .then((a) => {
          if (!a) res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
          else res.writeHead(a.status ?? 200, { 'content-type': a.contentType }).end(a.body);
        })
        .catch((e: unknown) => {
          this.log.warn({ err: e }, 'metadata request failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Error');
        });
    });
    await new Promise<void>((ok, fail) => this.#server!.once('error', fail).listen(socketPath, ok));
  }

  #owner(networkId: string, ip: string): Owner | undefined {
    return this.#owners.get(`${networkId} ${ip.replace(/^::ffff:/, '')}`);
  }

  async #answer(networkId: string, ip: string, path: string): Promise<MetadataAnswer | null> {
    const owner = this.#owner(networkId, ip);
    if (!owner) return null;
    const { instance, password } = await this.bus.call<InstanceSpecReply>(
      { topic: CONDUCTOR_TOPIC },
      'instance_spec',
      { uuid: owner.instanceId },
      { timeoutMs: 10_000 },
    );
    if (!instance) return null;
    return renderMetadata(path, instanceMetadata(instance, ip, owner.floatingIp, password ?? ''));
  }

  async #postPassword(from: { networkId: string; ip: string }, password: string): Promise<MetadataAnswer> {
    const owner = this.#owner(from.networkId, from.ip);
    if (!owner) return status(404, 'Not Found');
    const r = await this.bus.call<SetPasswordReply>(
      { topic: CONDUCTOR_TOPIC },
      'set_password',
      { uuid: owner.instanceId, password },
      { timeoutMs: 10_000 },
    );
    if (r.status === 'already_set') return status(409, 'Password already set.');
    if (r.status === 'not_found') return status(404, 'Not Found');
    return status(200, '');
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => (this.#server ? this.#server.close(() => done()) : done()));
  }
}

const status = (code: number, body: string): MetadataAnswer => ({
  status: code,
  contentType: 'text/plain; charset=UTF-8',
  body,
});

/** The request body as text, or null when it is longer than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.once('end', () => done(size > max ? null : Buffer.concat(chunks).toString('utf8')));
    req.once('error', fail);
  });
}
