import { fetchJson } from './http-json.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type KumoConfig } from '../../src/lib/config/config.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import { bootstrapIdentity } from '../../src/identity/domain/bootstrap.js';
import { createIdentityServer, type IdentityServer } from '../../src/identity/identity-server.js';

export const ADMIN_PASSWORD = 'admin-secret-0';

/** A running identity service on an ephemeral port with a fresh database, bootstrapped. */
export interface IdentityHarness {
  url: string;
  server: IdentityServer;
  config: KumoConfig;
  adminToken: string;
  adminProjectId: string;
  adminUserId: string;
  /** fetch against the service with JSON in and out. */
  request(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string },
  ): Promise<HarnessResponse>;
  /** Issues a password token; scope defaults to the project. */
  token(user: { name: string; password: string; domain?: string }, scope?: unknown): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface StartIdentityOptions {
  databaseUrl?: string;
  env?: Record<string, string>;
  /**
   * Reuse this data directory (Fernet keys, default SQLite file), e.g. to
   * restart a service on the same state; the caller owns it and close() keeps it.
   */
  dataDir?: string;
}

export async function startIdentity(opts: StartIdentityOptions = {}): Promise<IdentityHarness> {
  const dir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kumo-identity-')));
  const config = loadConfig({
    env: {
      KUMO_DATA_DIR: dir,
      KUMO_IDENTITY_PORT: '0',
      KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
      // Tests do not need production-strength hashing; the format is the same.
      KUMO_IDENTITY_PASSWORD_HASH_MEMORY_KIB: '1024',
      KUMO_IDENTITY_PASSWORD_HASH_TIME_COST: '1',
      ...(opts.databaseUrl ? { KUMO_IDENTITY_DATABASE_URL: opts.databaseUrl } : {}),
      ...opts.env,
    },
  });
  const logger = createLogger({ level: config.logLevel });
  const server = await createIdentityServer(config, { logger, metrics: new Metrics() });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (server.app.server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  // A failure while starting must not leave the server running, or the test process never exits.
  const boot = await bootstrapIdentity(server.services, {
    adminPassword: ADMIN_PASSWORD,
    region: 'RegionOne',
    endpoints: [{ type: 'identity', name: 'keystone', description: 'Identity', url: `${url}/v3` }],
  }).catch(async (e: unknown) => {
    await server.close();
    throw e;
  });

  const request: IdentityHarness['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== null && (o.token ?? h.adminToken)) headers['x-auth-token'] = (o.token ?? h.adminToken) as string;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
    }
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    return fetchJson(`${url}${path}`, { method, headers, body });
  };

  const token: IdentityHarness['token'] = async (user, scope) => {
    const res = await request('POST', '/v3/auth/tokens', {
      token: null,
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user.name, domain: { name: user.domain ?? 'Default' }, password: user.password } },
          },
          ...(scope === undefined ? {} : { scope }),
        },
      },
    });
    if (res.status !== 201) throw new Error(`token for ${user.name} failed: ${res.status} ${res.text}`);
    return res.headers.get('x-subject-token') as string;
  };

  const h: IdentityHarness = {
    url,
    server,
    config,
    adminToken: '',
    adminProjectId: boot.adminProjectId,
    adminUserId: boot.adminUserId,
    request,
    token,
    async close() {
      await server.close();
      if (!opts.dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    h.adminToken = await token({ name: 'admin', password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { name: 'Default' } } });
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}
