/**
 * The console API over HTTP: remote-consoles (2.6+), the legacy
 * os-getVNCConsole action (2.1–2.5) and os-console-auth-tokens, with the
 * statuses and fault bodies Nova gives.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { handleGetVncConsoleAction, registerConsoleRoutes } from '../../src/compute/api/console-routes.js';
import { registerMicroversions } from '../../src/compute/api/microversion.js';
import { CONSOLE_POLICY } from '../../src/compute/domain/console-policy.js';
import { ConsoleService } from '../../src/compute/domain/console-service.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import type { Database } from '../../src/lib/db/database.js';
import { unauthorized } from '../../src/lib/errors.js';
import { createServiceApp } from '../../src/lib/http/app.js';
import type { AuthContext } from '../../src/lib/http/auth-context.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { FakeConsoleTargets, openConsoleDatabase } from './console-fixtures.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = '5f0c5a7e-1a8e-4c6e-8d5e-6a1f2b3c4d5e';
const BUILDING = '5f0c5a7e-1a8e-4c6e-8d5e-6a1f2b3c4d5f';

function auth(token: string, projectId: string, roles: string[]): AuthContext {
  return {
    token,
    userId: `u-${token}`,
    userName: token,
    userDomainId: 'default',
    userDomainName: 'Default',
    projectId,
    projectDomainId: 'default',
    roles: roles.map((name) => ({ id: name, name })),
    methods: ['password'],
    auditIds: ['a'],
    expiresAt: new Date(Date.now() + 3_600_000),
    issuedAt: new Date(),
    isAdminProject: false,
  };
}
const TOKENS: Record<string, AuthContext> = {
  admin: auth('admin', 'p-admin', ['admin', 'member', 'reader']),
  alice: auth('alice', 'p1', ['member', 'reader']),
  mallory: auth('mallory', 'p2', ['member', 'reader']),
};

describe('console API routes', () => {
  let app: FastifyInstance;
  let base: string;
  let database: Database<ComputeDB>;
  let bus: InProcessBus;
  let dir: string;
  let consoles: ConsoleService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kumo-console-routes-'));
    database = await openConsoleDatabase(`sqlite:${join(dir, 'compute.db')}`);
    bus = new InProcessBus();
    await bus.serve({ topic: 'compute', server: 'host-1' }, { get_vnc_console: () => ({ host: '127.0.0.1', port: 5900 }) });
    const targets = new FakeConsoleTargets();
    targets.add(SERVER, 'p1', 'host-1');
    targets.add(BUILDING, 'p1', null, 'BUILD');
    consoles = new ConsoleService({
      db: database.db,
      bus,
      targets,
      policy: new PolicyEngine({ ...COMPUTE_POLICY, ...CONSOLE_POLICY }),
      novncBaseUrl: () => 'http://console.example:6080/vnc_lite.html',
    });
    app = createServiceApp({
      name: 'compute',
      faultStyle: 'nova',
      logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      metrics: new Metrics(),
      bodyLimit: 65536,
      tokens: { validate: async (t) => TOKENS[t] ?? Promise.reject(unauthorized()) },
    });
    registerMicroversions(app);
    registerConsoleRoutes(app, consoles);
    // What the servers part's action dispatcher does with os-getVNCConsole.
    app.post<{ Params: { id: string } }>('/v2.1/servers/:id/action', async (req) => {
      const body = req.body as Record<string, unknown>;
      if ('os-getVNCConsole' in body) return handleGetVncConsoleAction(consoles, req, req.params.id, body);
      throw new Error('unexpected action');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v2.1`;
  });
  after(async () => {
    await app?.close();
    await bus?.close();
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, opts: { token?: string; body?: unknown; mv?: string } = {}) {
    const headers: Record<string, string> = { 'x-auth-token': opts.token ?? 'alice' };
    if (opts.mv) headers['openstack-api-version'] = `compute ${opts.mv}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }
  const remote = (protocol: unknown, type: unknown) => ({ remote_console: { protocol, type } });
  const tokenIn = (url: string) => new URLSearchParams(new URL(url).searchParams.get('path') ?? '').get('token') ?? '';

  it('creates a noVNC console at 2.6+', async () => {
    const r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', body: remote('vnc', 'novnc') });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.remote_console).sort(), ['protocol', 'type', 'url']);
    assert.equal(r.body.remote_console.protocol, 'vnc');
    assert.equal(r.body.remote_console.type, 'novnc');
    assert.match(r.body.remote_console.url, /^http:\/\/console\.example:6080\/vnc_lite\.html\?path=%3Ftoken%3D[\w-]+$/);
    assert.equal((await consoles.validate(tokenIn(r.body.remote_console.url)))?.port, 5900);
  });

  it('validates the body as Nova create_v26/create_v28 (400 badRequest)', async () => {
    for (const [mv, body] of [
      ['2.6', remote('telnet', 'novnc')],
      ['2.6', remote('vnc', 'bogus')],
      ['2.6', remote('mks', 'webmks')],
      ['2.8', remote('vnc', 7)],
      ['2.6', { remote_console: { protocol: 'vnc' } }],
      ['2.6', { remote_console: { protocol: 'vnc', type: 'novnc', extra: 1 } }],
      ['2.6', { console: { protocol: 'vnc', type: 'novnc' } }],
      ['2.93', remote('vnc', 'novnc-ish')],
    ] as const) {
      const r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.badRequest.code, 400);
      assert.match(r.body.badRequest.message, /^Invalid input for field/);
    }
  });

  it('answers 400 for valid but unserved console kinds', async () => {
    let r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', body: remote('spice', 'spice-html5') });
    assert.deepEqual(r, { status: 400, body: { badRequest: { code: 400, message: 'Unavailable console type spice-html5.' } } });
    r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.8', body: remote('mks', 'webmks') });
    assert.deepEqual(r, { status: 400, body: { badRequest: { code: 400, message: 'Unavailable console type webmks.' } } });
    r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', body: remote('vnc', 'xvpvnc') });
    assert.deepEqual(r, { status: 400, body: { badRequest: { code: 400, message: 'Invalid console type xvpvnc' } } });
  });

  it('hides other projects’ servers (404), refuses servers not ready (409) and is absent before 2.6', async () => {
    let r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', token: 'mallory', body: remote('vnc', 'novnc') });
    assert.equal(r.status, 404);
    assert.equal(r.body.itemNotFound.code, 404);
    r = await call('POST', `/servers/${BUILDING}/remote-consoles`, { mv: '2.6', body: remote('vnc', 'novnc') });
    assert.deepEqual(r, { status: 409, body: { conflictingRequest: { code: 409, message: `Instance ${BUILDING} is not ready` } } });
    r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.5', body: remote('vnc', 'novnc') });
    assert.equal(r.status, 404);
    r = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', body: remote('vnc', 'novnc'), token: 'nobody' });
    assert.equal(r.status, 401);
  });

  it('serves os-getVNCConsole up to 2.5 only', async () => {
    let r = await call('POST', `/servers/${SERVER}/action`, { body: { 'os-getVNCConsole': { type: 'novnc' } } });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body), ['console']);
    assert.equal(r.body.console.type, 'novnc');
    assert.ok(await consoles.validate(tokenIn(r.body.console.url)));
    r = await call('POST', `/servers/${SERVER}/action`, { mv: '2.5', body: { 'os-getVNCConsole': { type: 'xvpvnc' } } });
    assert.deepEqual(r.body, { badRequest: { code: 400, message: 'Invalid console type xvpvnc' } });
    r = await call('POST', `/servers/${SERVER}/action`, { body: { 'os-getVNCConsole': { type: 'spice-html5' } } });
    assert.equal(r.status, 400);
    r = await call('POST', `/servers/${SERVER}/action`, { body: { 'os-getVNCConsole': {} } });
    assert.equal(r.status, 400);
    r = await call('POST', `/servers/${SERVER}/action`, { token: 'mallory', body: { 'os-getVNCConsole': { type: 'novnc' } } });
    assert.equal(r.status, 404);
    r = await call('POST', `/servers/${BUILDING}/action`, { body: { 'os-getVNCConsole': { type: 'novnc' } } });
    assert.equal(r.status, 409);
    r = await call('POST', `/servers/${SERVER}/action`, { mv: '2.6', body: { 'os-getVNCConsole': { type: 'novnc' } } });
    assert.equal(r.status, 404);
  });

  it('shows a console auth token to admins at 2.31+ only', async () => {
    const created = await call('POST', `/servers/${SERVER}/remote-consoles`, { mv: '2.6', body: remote('vnc', 'novnc') });
    const token = tokenIn(created.body.remote_console.url);
    let r = await call('GET', `/os-console-auth-tokens/${token}`, { token: 'admin', mv: '2.31' });
    assert.deepEqual(r, {
      status: 200,
      body: { console: { instance_uuid: SERVER, host: '127.0.0.1', port: 5900, internal_access_path: null } },
    });
    r = await call('GET', `/os-console-auth-tokens/${token}`, { token: 'alice', mv: '2.31' });
    assert.equal(r.status, 403);
    r = await call('GET', `/os-console-auth-tokens/${token}x`, { token: 'admin', mv: '2.31' });
    assert.deepEqual(r, { status: 404, body: { itemNotFound: { code: 404, message: 'Token not found' } } });
    // Before 2.31 only RDP tokens were shown.
    r = await call('GET', `/os-console-auth-tokens/${token}`, { token: 'admin', mv: '2.30' });
    assert.equal(r.status, 401);
    assert.equal(r.body.unauthorized.message, 'The requested console type details are not accessible');
  });
});
