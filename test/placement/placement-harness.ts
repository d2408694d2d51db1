import { fetchJson } from '../support/http-json.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/lib/config/config.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import { createPlacementServer, type PlacementServer } from '../../src/placement/placement-server.js';
import { startIdentity, type HarnessResponse, type IdentityHarness } from '../support/identity-harness.js';

export interface PlacementHarness {
  url: string;
  identity: IdentityHarness;
  server: PlacementServer;
  adminToken: string;
  /** JSON request against placement; `version` is sent as `OpenStack-API-Version: placement <version>`. */
  request(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; raw?: string; version?: string },
  ): Promise<HarnessResponse>;
  /** A token for a new user holding `role` on a new project. */
  tokenWithRole(role: string): Promise<string>;
  close(): Promise<void>;
}

export async function startPlacement(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<PlacementHarness> {
  const identity = await startIdentity();
  const dataDir = await mkdtemp(join(tmpdir(), 'kumo-placement-'));
  let server: PlacementServer | undefined;
  try {
    const config = loadConfig({
      env: {
        KUMO_DATA_DIR: dataDir,
        KUMO_PLACEMENT_PORT: '0',
        KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
        ...(opts.databaseUrl ? { KUMO_PLACEMENT_DATABASE_URL: opts.databaseUrl } : {}),
        ...opts.env,
      },
    });
    server = await createPlacementServer(config, {
      logger: createLogger({ level: config.logLevel }),
      metrics: new Metrics(),
      tokens: identity.server.services.tokens.asValidator(),
    });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (e) {
    await server?.close();
    await identity.close();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const srv = server;
  const url = `http://127.0.0.1:${(srv.app.server.address() as { port: number }).port}`;

  const request: PlacementHarness['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? identity.adminToken : o.token;
    if (token) headers['x-auth-token'] = token;
    if (o.version) headers['openstack-api-version'] = `placement ${o.version}`;
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetchJson(`${url}${path}`, { method, headers, body });
  };

  let counter = 0;
  const tokenWithRole: PlacementHarness['tokenWithRole'] = async (role) => {
    const suffix = `${role}-${++counter}`;
    const p = await identity.request('POST', '/v3/projects', { body: { project: { name: `p-${suffix}`, domain_id: 'default' } } });
    const password = `pw-${suffix}-secret`;
    const u = await identity.request('POST', '/v3/users', { body: { user: { name: `u-${suffix}`, password, domain_id: 'default' } } });
    let roles = await identity.request('GET', `/v3/roles?name=${role}`);
    if (roles.body.roles.length === 0) {
      await identity.request('POST', '/v3/roles', { body: { role: { name: role } } });
      roles = await identity.request('GET', `/v3/roles?name=${role}`);
    }
    const g = await identity.request('PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0].id}`);
    if (g.status !== 204) throw new Error(`grant failed: ${g.status} ${g.text}`);
    return identity.token({ name: `u-${suffix}`, password }, { project: { id: p.body.project.id } });
  };

  return {
    url,
    identity,
    server: srv,
    adminToken: identity.adminToken,
    request,
    tokenWithRole,
    async close() {
      await srv.close();
      await identity.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
