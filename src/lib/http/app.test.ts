import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { unauthorized } from '../errors.js';
import { createLogger } from '../log.js';
import { createServiceApp } from './app.js';
import type { AuthContext } from './auth-context.js';
import { Metrics } from './metrics.js';

const ctx: AuthContext = {
  token: 'good',
  userId: 'u1',
  userName: 'alice',
  userDomainId: 'default',
  userDomainName: 'Default',
  roles: [{ id: 'r', name: 'member' }],
  methods: ['password'],
  auditIds: ['a'],
  expiresAt: new Date(Date.now() + 60_000),
  issuedAt: new Date(),
  isAdminProject: false,
};

describe('service app factory', () => {
  let app: FastifyInstance;
  let base: string;
  const lines: string[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    app = createServiceApp({
      name: 'test',
      faultStyle: 'nova',
      logger: createLogger({ level: 'info', destination: sink }),
      metrics: new Metrics(),
      bodyLimit: 1024,
      tokens: { validate: async (t) => (t === 'good' ? ctx : Promise.reject(unauthorized())) },
    });
    app.post('/echo', { config: { public: true } }, async (req) => ({ got: req.body }));
    app.get('/me', async (req) => ({ user: req.auth?.userName }));
    app.get('/boom', { config: { public: true } }, async () => {
      throw new Error('secret internals');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  after(() => app.close());

  it('authenticates by default and exposes the context', async () => {
    assert.equal((await fetch(`${base}/me`)).status, 401);
    assert.equal((await fetch(`${base}/me`, { headers: { 'x-auth-token': 'bad' } })).status, 401);
    const r = await fetch(`${base}/me`, { headers: { 'x-auth-token': 'good' } });
    assert.deepEqual(await r.json(), { user: 'alice' });
  });

  it('gives every response a request ID', async () => {
    const r = await fetch(`${base}/me`);
    assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
  });

  it('renders faults in the family format, hiding internals of 500s', async () => {
    const r = await fetch(`${base}/boom`);
    assert.equal(r.status, 500);
    const body = (await r.json()) as { computeFault: { message: string } };
    assert.ok(!body.computeFault.message.includes('secret internals'));
    const nf = await fetch(`${base}/nowhere`, { headers: { 'x-auth-token': 'good' } });
    assert.equal(nf.status, 404);
    assert.ok('itemNotFound' in ((await nf.json()) as object));
  });

  it('limits body size (413) and rejects bad JSON (400)', async () => {
    const big = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(2000) }),
    });
    assert.equal(big.status, 413);
    const bad = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    assert.equal(bad.status, 400);
  });

  it('refuses NUL characters in URLs and bodies with 400', async () => {
    assert.equal((await fetch(`${base}/me%00`, { headers: { 'x-auth-token': 'good' } })).status, 400);
    const r = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "a\\u0000b"}',
    });
    assert.equal(r.status, 400);
  });

  it('serves /healthcheck and Prometheus /metrics', async () => {
    const h = await fetch(`${base}/healthcheck`);
    assert.equal(h.status, 200);
    assert.equal(await h.text(), 'OK');
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.match(m, /kumo_http_request_duration_seconds_count\{service="test",method="GET",route="\/me",status="401"\} \d+/);
  });

  it('never logs tokens or passwords', async () => {
    await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 'good' },
      body: JSON.stringify({ password: 'hunter2' }),
    });
    const all = lines.join('');
    assert.ok(all.includes('"url":"/echo"'), 'requests are logged');
    assert.ok(!all.includes('hunter2'));
    assert.ok(!all.includes('"good"'));
  });
});
