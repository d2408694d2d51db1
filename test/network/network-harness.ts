import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { loadConfig } from '../../src/lib/config/config.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import { createNetworkServer, type NetworkServer } from '../../src/network/network-server.js';
import { fetchJson } from '../support/http-json.js';
import { startIdentity, type HarnessResponse, type IdentityHarness } from '../support/identity-harness.js';

export interface NetworkHarness {
  url: string;
  identity: IdentityHarness;
  server: NetworkServer;
  bus: InProcessBus;
  /** JSON request; the admin's token unless `token` is given (null: none). */
  request(method: string, path: string, opts?: { token?: string | null; body?: unknown; raw?: string }): Promise<HarnessResponse>;
  /** A member (role `member`) of a new project: its token and project id. */
  member(): Promise<{ token: string; projectId: string }>;
  close(): Promise<void>;
}

export async function startNetwork(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<NetworkHarness> {
  const identity = await startIdentity();
  const dataDir = await mkdtemp(join(tmpdir(), 'kumo-network-'));
  const bus = new InProcessBus();
  let server: NetworkServer | undefined;
  try {
    const config = loadConfig({
      env: {
        KUMO_DATA_DIR: dataDir,
        KUMO_NETWORK_PORT: '0',
        KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
        ...(opts.databaseUrl ? { KUMO_NETWORK_DATABASE_URL: opts.databaseUrl } : {}),
        ...opts.env,
      },
    });
    server = await createNetworkServer(config, {
      logger: createLogger({ level: config.logLevel }),
      metrics: new Metrics(),
      tokens: identity.server.services.tokens.asValidator(),
      bus,
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (e) {
    await server?.close();
    await bus.close();
    await identity.close();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const srv = server;
  const url = `http://127.0.0.1:${(srv.app.server.address() as { port: number }).port}`;
  const request: NetworkHarness['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? identity.adminToken : o.token;
    if (token) headers['x-auth-token'] = token;
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetchJson(`${url}${path}`, { method, headers, body });
  };
  let counter = 0;
  const member: NetworkHarness['member'] = async () => {
    const suffix = `m-${++counter}`;
    const p = await identity.request('POST', '/v3/projects', { body: { project: { name: `p-${suffix}`, domain_id: 'default' } } });
    const password = `pw-${suffix}-secret`;
    const u = await identity.request('POST', '/v3/users', { body: { user: { name: `u-${suffix}`, password, domain_id: 'default' } } });
    let roles = await identity.request('GET', '/v3/roles?name=member');
    if (roles.body.roles.length === 0) {
      await identity.request('POST', '/v3/roles', { body: { role: { name: 'member' } } });
      roles = await identity.request('GET', '/v3/roles?name=member');
    }
    await identity.request('PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0].id}`);
    const token = await identity.token({ name: `u-${suffix}`, password }, { project: { id: p.body.project.id } });
    return { token, projectId: p.body.project.id as string };
  };
  return {
    url,
    identity,
    server: srv,
    bus,
    request,
    member,
    async close() {
      await srv.close();
      await bus.close();
      await identity.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
