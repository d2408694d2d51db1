import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KumoError, unauthorized } from '../../lib/errors.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import { Microversion, type MicroversionPolicy, microversionHeaders, negotiateMicroversion } from '../../lib/http/microversion.js';
import { assertValid, compileBodySchema } from '../../lib/http/validation.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { Provider } from '../domain/models.js';
import { badValue } from '../domain/request-groups.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Placement microversion of this request (1.0 when the client names none). */
    placementVersion: Microversion;
  }
}

/** Placement Zed: 1.0 to 1.39. */
export const PLACEMENT_MICROVERSIONS: MicroversionPolicy = { serviceType: 'placement', min: '1.0', max: '1.39' };

export function registerPlacementMicroversions(app: FastifyInstance): void {
  app.decorateRequest('placementVersion', null as unknown as Microversion);
  app.addHook('onRequest', async (req, reply) => {
    req.placementVersion = new Microversion(1, 0);
    const v = negotiateMicroversion(req.headers, PLACEMENT_MICROVERSIONS);
    req.placementVersion = v;
    for (const [k, h] of Object.entries(microversionHeaders(v, PLACEMENT_MICROVERSIONS))) reply.header(k, h);
  });
}

/** Enforces a placement policy rule (403 on denial). */
export function enforce(policy: PolicyEngine, req: FastifyRequest, action: string): void {
  if (!req.auth) throw unauthorized();
  policy.enforce(action, {}, policyCredentials(req.auth));
}

/** A route that does not exist before `min`: placement answers 404 there. */
export function requireVersion(req: FastifyRequest, min: string): void {
  if (!req.placementVersion.atLeast(min)) throw new KumoError('not_found', 404, 'The resource could not be found.');
}

export const mv = (req: FastifyRequest): Microversion => req.placementVersion;

/** Validates a body against a schema compiled once per (schema) object. */
const compiled = new WeakMap<object, ReturnType<typeof compileBodySchema>>();
export function validBody<T>(schema: object, body: unknown): T {
  let v = compiled.get(schema);
  if (!v) {
    v = compileBodySchema(schema);
    compiled.set(schema, v);
  }
  if (body === undefined || body === null) throw new KumoError('bad_request', 400, 'Malformed JSON: the request body is missing.');
  return assertValid<T>(v, body);
}

type Query = Record<string, string | string[] | undefined>;

/** Query parameters, rejecting unknown names (placement's schemas forbid them) and repeats where single. */
export function queryOf(
  req: FastifyRequest,
  allowed: (name: string) => boolean,
  repeatable: (name: string) => boolean = () => false,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries((req.query ?? {}) as Query)) {
    if (v === undefined) continue;
    if (!allowed(k)) throw badValue(`Invalid query string parameters: Additional properties are not allowed ('${k}' was unexpected)`);
    const values = Array.isArray(v) ? v : [v];
    if (values.length > 1 && !repeatable(k)) {
      throw new KumoError('placement.query.duplicate_key', 400, `Query parameter '${k}' is allowed only once.`);
    }
    out.set(k, values);
  }
  return out;
}

export function providerLinks(req: FastifyRequest, uuid: string): { rel: string; href: string }[] {
  const v = mv(req);
  const base = `/resource_providers/${uuid}`;
  const links = [
    { rel: 'self', href: base },
    { rel: 'inventories', href: `${base}/inventories` },
    { rel: 'usages', href: `${base}/usages` },
  ];
  if (v.atLeast('1.1')) links.push({ rel: 'aggregates', href: `${base}/aggregates` });
  if (v.atLeast('1.6')) links.push({ rel: 'traits', href: `${base}/traits` });
  if (v.atLeast('1.11')) links.push({ rel: 'allocations', href: `${base}/allocations` });
  return links;
}

export function providerView(req: FastifyRequest, p: Provider): Record<string, unknown> {
  const body: Record<string, unknown> = { uuid: p.uuid, name: p.name, generation: p.generation, links: providerLinks(req, p.uuid) };
  if (mv(req).atLeast('1.14')) {
    body.parent_provider_uuid = p.parentUuid;
    body.root_provider_uuid = p.rootUuid;
  }
  return body;
}

export const noContent = (reply: FastifyReply): FastifyReply => reply.code(204).send();

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';

/** Placement stores UUIDs in their dashed lower-case form. */
export function normalizeUuid(u: string): string {
  const h = u.replaceAll('-', '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** From 1.15 placement marks GET answers uncacheable and dates them. */
export function registerCacheHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (
      req.method === 'GET' &&
      reply.statusCode === 200 &&
      req.placementVersion?.atLeast('1.15') &&
      req.url !== '/' &&
      req.url.split('?')[0] !== ''
    ) {
      reply.header('cache-control', 'no-cache');
      reply.header('last-modified', new Date().toUTCString());
    }
    return payload;
  });
}

/**
 * A known URL with an unsupported method is placement's 405 with an Allow
 * header, not a 404. Call after every route is registered.
 */
export function registerMethodNotAllowed(app: FastifyInstance): void {
  const byUrl = new Map<string, Set<string>>();
  for (const r of app.kumoRoutes) {
    if (r.url === '/healthcheck' || r.url === '/metrics') continue;
    const set = byUrl.get(r.url) ?? new Set<string>();
    set.add(r.method);
    byUrl.set(r.url, set);
  }
  const all = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'];
  for (const [url, methods] of byUrl) {
    const allow = [...methods].filter((m) => m !== 'HEAD').join(', ');
    const missing = all.filter((m) => !methods.has(m));
    if (missing.length === 0) continue;
    app.route({
      method: missing as ('GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH')[],
      url,
      config: { public: url === '/' },
      handler: async () => {
        throw new KumoError('method_not_allowed', 405, `The method specified is not allowed for this resource. Allowed: ${allow}`, {
          allow,
        });
      },
    });
  }
}
