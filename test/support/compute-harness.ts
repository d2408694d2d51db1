import { fetchJson } from './http-json.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAllInOne, type RunningCloud } from '../../src/cli/all-in-one.js';
import { loadConfig, type KumoConfig } from '../../src/lib/config/config.js';
import { createLogger } from '../../src/lib/log.js';

export const CLOUD_ADMIN_PASSWORD = 'admin-secret-0';

export interface CloudResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  /** Token to send; default the admin's; null sends none. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  /** Compute/placement microversion, sent as OpenStack-API-Version. */
  microversion?: string;
}

/** A project with one user holding `role` on it, and that user's project-scoped token. */
export interface CloudProject {
  projectId: string;
  userId: string;
  userName: string;
  password: string;
  token: string;
}

/**
 * The whole cloud in this process (as `kumo up` runs it): identity, image,
 * placement, compute with its conductor, and an agent with the fake driver
 * unless `driver` says otherwise. Every port is picked by the kernel.
 */
export interface CloudHarness {
  config: KumoConfig;
  cloud: RunningCloud;
  dataDir: string;
  /** Base URLs by catalog type: identity (…/v3), image, placement, compute (…/v2.1). */
  urls: Record<string, string>;
  adminToken: string;
  adminProjectId: string;
  /** `service` is a catalog type; `path` is appended to its URL. */
  request(service: string, method: string, path: string, opts?: RequestOptions): Promise<CloudResponse>;
  /** Creates a project and a user holding `role` (default member) on it. */
  project(name: string, role?: string): Promise<CloudProject>;
  /** Password token scoped to a project (by id). */
  token(user: { name: string; password: string }, projectId: string): Promise<string>;
  close(): Promise<void>;
}

export interface StartCloudOptions {
  /** Extra KUMO_* settings. */
  env?: Record<string, string>;
  driver?: 'fake' | 'qemu';
  /** false: no agent at all (API-only tests). */
  agent?: boolean;
}

export async function startCloudHarness(opts: StartCloudOptions = {}): Promise<CloudHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kumo-cloud-'));
  const config = loadConfig({
    env: {
      KUMO_DATA_DIR: dataDir,
      KUMO_IDENTITY_PORT: '0',
      KUMO_IMAGE_PORT: '0',
      KUMO_PLACEMENT_PORT: '0',
      KUMO_COMPUTE_PORT: '0',
      KUMO_NETWORK_PORT: '0',
      KUMO_COMPUTE_CONSOLE_PROXY_PORT: '0',
      KUMO_DASHBOARD_PORT: '0',
      KUMO_IDENTITY_ADMIN_PASSWORD: CLOUD_ADMIN_PASSWORD,
      // Cheap hashing: tests create many users.
      KUMO_IDENTITY_PASSWORD_HASH_MEMORY_KIB: '1024',
      KUMO_IDENTITY_PASSWORD_HASH_TIME_COST: '1',
      KUMO_AGENT_DRIVER: opts.driver ?? 'fake',
      KUMO_AGENT_ENABLED: opts.agent === false ? 'false' : 'true',
      KUMO_AGENT_HOST: 'kumo-test-host',
      KUMO_AGENT_HEARTBEAT_INTERVAL: '1',
      KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
      ...opts.env,
    },
  });
  let cloud: RunningCloud;
  try {
    cloud = await startAllInOne(config, createLogger({ level: config.logLevel }), () => {});
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const urls = Object.fromEntries(cloud.endpoints.map((e) => [e.service, e.url]));

  const request: CloudHarness['request'] = async (service, method, path, o = {}) => {
    const base = urls[service];
    if (!base) throw new Error(`no ${service} endpoint`);
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? adminToken : o.token;
    if (token) headers['x-auth-token'] = token;
    if (o.microversion) headers['openstack-api-version'] = `${service} ${o.microversion}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetchJson(`${base}${path}`, { method, headers, body });
  };

  const token: CloudHarness['token'] = async (user, projectId) => {
    const res = await fetch(`${urls.identity}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } } },
          scope: { project: { id: projectId } },
        },
      }),
    });
    const t = res.headers.get('x-subject-token');
    if (res.status !== 201 || !t) throw new Error(`token issue failed: ${res.status} ${await res.text()}`);
    return t;
  };

  let adminToken = '';
  // The admin project id: issue an admin token scoped by name, then read it back.
  const adminRes = await fetch(`${urls.identity}/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: CLOUD_ADMIN_PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  adminToken = adminRes.headers.get('x-subject-token') ?? '';
  const adminBody = (await adminRes.json()) as { token: { project: { id: string } } };
  const adminProjectId = adminBody.token.project.id;

  let counter = 0;
  const project: CloudHarness['project'] = async (name, role = 'member') => {
    const suffix = `${name}-${++counter}`;
    const p = await request('identity', 'POST', '/projects', { body: { project: { name: `p-${suffix}`, domain_id: 'default' } } });
    const password = `pw-${suffix}-secret`;
    const u = await request('identity', 'POST', '/users', {
      body: { user: { name: `u-${suffix}`, password, domain_id: 'default', default_project_id: p.body.project.id } },
    });
    const roles = await request('identity', 'GET', `/roles?name=${role}`);
    const roleId = roles.body.roles[0].id as string;
    const g = await request('identity', 'PUT', `/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roleId}`);
    if (g.status !== 204) throw new Error(`grant failed: ${g.status} ${g.text}`);
    const t = await token({ name: `u-${suffix}`, password }, p.body.project.id);
    return { projectId: p.body.project.id, userId: u.body.user.id, userName: `u-${suffix}`, password, token: t };
  };

  return {
    config,
    cloud,
    dataDir,
    urls,
    adminToken,
    adminProjectId,
    request,
    project,
    token,
    async close() {
      await cloud.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
