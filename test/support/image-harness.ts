import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/lib/config/config.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import { createImageServer, type ImageServer } from '../../src/image/image-server.js';
import { startIdentity, type HarnessResponse, type IdentityHarness } from './identity-harness.js';

/** A project with one member-role user, and that user's project-scoped token. */
export interface TestProject {
  projectId: string;
  userId: string;
  userName: string;
  password: string;
  token: string;
}

/** Identity + image services on ephemeral ports with fresh databases and a store in a temp dir. */
export interface ImageHarness {
  url: string;
  identity: IdentityHarness;
  server: ImageServer;
  dataDir: string;
  adminToken: string;
  adminProjectId: string;
  /** fetch against the image API; JSON bodies are sent as application/json unless `raw`/`headers` say otherwise. */
  request(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer | ReadableStream<Uint8Array> },
  ): Promise<HarnessResponse & { bytes: Buffer }>;
  /** Creates a project and a user holding `role` (default member) on it. */
  project(name: string, role?: string): Promise<TestProject>;
  close(): Promise<void>;
}

export interface StartImageOptions {
  /** Extra KUMO_* settings for the image service (quotas, size cap, ...). */
  env?: Record<string, string>;
  databaseUrl?: string;
}

export async function startImage(opts: StartImageOptions = {}): Promise<ImageHarness> {
  const identity = await startIdentity();
  const dataDir = await mkdtemp(join(tmpdir(), 'kumo-image-'));
  let server: ImageServer | undefined;
  try {
    const config = loadConfig({
      env: {
        KUMO_DATA_DIR: dataDir,
        KUMO_IMAGE_PORT: '0',
        KUMO_LOG_LEVEL: process.env.KUMO_TEST_LOG_LEVEL ?? 'silent',
        ...(opts.databaseUrl ? { KUMO_IMAGE_DATABASE_URL: opts.databaseUrl } : {}),
        ...opts.env,
      },
      // Tests fetch web-download images from local servers on ephemeral ports.
      flags: { 'image.web_download_allowed_ports': '' },
    });
    server = await createImageServer(config, {
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

  const request: ImageHarness['request'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? identity.adminToken : o.token;
    if (token) headers['x-auth-token'] = token;
    let body: string | Buffer | ReadableStream<Uint8Array> | undefined = o.raw;
    if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !headers['content-type'])
      headers['content-type'] = o.raw === undefined ? 'application/json' : 'application/octet-stream';
    const init: RequestInit & { duplex?: string } = { method, headers, body };
    if (body instanceof ReadableStream) init.duplex = 'half';
    const res = await fetch(`${url}${path}`, init);
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text, bytes };
  };

  let counter = 0;
  const project: ImageHarness['project'] = async (name, role = 'member') => {
    const suffix = `${name}-${++counter}`;
    const p = await identity.request('POST', '/v3/projects', { body: { project: { name: `p-${suffix}`, domain_id: 'default' } } });
    const password = `pw-${suffix}-secret`;
    const u = await identity.request('POST', '/v3/users', {
      body: { user: { name: `u-${suffix}`, password, domain_id: 'default', default_project_id: p.body.project.id } },
    });
    const roles = await identity.request('GET', `/v3/roles?name=${role}`);
    const roleId = roles.body.roles[0].id as string;
    const g = await identity.request('PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${roleId}`);
    if (g.status !== 204) throw new Error(`grant failed: ${g.status} ${g.text}`);
    const token = await identity.token({ name: `u-${suffix}`, password }, { project: { id: p.body.project.id } });
    return { projectId: p.body.project.id, userId: u.body.user.id, userName: `u-${suffix}`, password, token };
  };

  return {
    url,
    identity,
    server: srv,
    dataDir,
    adminToken: identity.adminToken,
    adminProjectId: identity.adminProjectId,
    request,
    project,
    async close() {
      await srv.close();
      await identity.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
