import { fetchJson } from './http-json.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComputeServer, type ComputeServer } from '../../src/compute/compute-server.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { ServiceSession } from '../../src/lib/clients/service-session.js';
import { loadConfig } from '../../src/lib/config/config.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import type { CloudProject, CloudResponse, RequestOptions } from './compute-harness.js';
import { startIdentity, type IdentityHarness } from './identity-harness.js';

/**
 * Identity plus the compute API only (no image, placement or agent): for API
 * tests that drive hosts themselves through `compute.resources.hosts.heartbeat`.
 */
export interface ComputeApiHarness {
  identity: IdentityHarness;
  compute: ComputeServer;
  /** http://127.0.0.1:port/v2.1 */
  url: string;
  adminToken: string;
  request(method: string, path: string, opts?: RequestOptions): Promise<CloudResponse>;
  project(name: string, role?: string): Promise<CloudProject>;
  close(): Promise<void>;
}

export async function startComputeApi(env: Record<string, string> = {}): Promise<ComputeApiHarness> {
  const identity = await startIdentity();
  const dataDir = await mkdtemp(join(tmpdir(), 'kumo-compute-api-'));
  let compute: ComputeServer | undefined;
  try {
    const config = loadConfig({
      env: {
        KUMO_DATA_DIR: dataDir,
        KUMO_COMPUTE_PORT: '0',
        KUMO_NETWORK_PORT: '0',
        KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
        ...env,
      },
    });
    const logger = createLogger({ level: config.logLevel });
    // Resource routes never call other services; the session is there because the server needs one.
    const session = new ServiceSession({
      authUrl: `${identity.url}/v3`,
      username: 'admin',
      password: 'unused',
      projectName: 'admin',
      userDomainName: 'Default',
      projectDomainName: 'Default',
      region: 'RegionOne',
    });
    compute = await createComputeServer(config, {
      logger,
      metrics: new Metrics(),
      tokens: identity.server.services.tokens.asValidator(),
      bus: new InProcessBus(),
      session,
    });
    await compute.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (e) {
    await compute?.close();
    await identity.close();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const port = (compute.app.server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/v2.1`;

  const request: ComputeApiHarness['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? identity.adminToken : o.token;
    if (token) headers['x-auth-token'] = token;
    if (o.microversion) headers['openstack-api-version'] = `compute ${o.microversion}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetchJson(`${url}${path}`, { method, headers, body });
  };

  let counter = 0;
  const project: ComputeApiHarness['project'] = async (name, role = 'member') => {
    const suffix = `${name}-${++counter}`;
    const p = await identity.request('POST', '/v3/projects', { body: { project: { name: `p-${suffix}`, domain_id: 'default' } } });
    const password = `pw-${suffix}-secret`;
    const u = await identity.request('POST', '/v3/users', {
      body: { user: { name: `u-${suffix}`, password, domain_id: 'default', default_project_id: p.body.project.id } },
    });
    const roles = await identity.request('GET', `/v3/roles?name=${role}`);
    const g = await identity.request('PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roles.body.roles[0].id}`);
    if (g.status !== 204) throw new Error(`grant failed: ${g.status} ${g.text}`);
    const token = await identity.token({ name: `u-${suffix}`, password }, { project: { id: p.body.project.id } });
    return { projectId: p.body.project.id, userId: u.body.user.id, userName: `u-${suffix}`, password, token };
  };

  const c = compute;
  return {
    identity,
    compute: c,
    url,
    adminToken: identity.adminToken,
    request,
    project,
    async close() {
      await c.close();
      await identity.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
