import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { flavorIndexView, flavorView } from './flavor-views.js';
import {
  BODY_BOOLEAN,
  NAME,
  allowed,
  baseUrl,
  bodyBool,
  bodyValidator,
  intParam,
  param,
  queryOf,
  versionNotFound,
} from './resource-route-helpers.js';
import { callerOf, enforce } from './route-helpers.js';

type IdParams = { Params: { flavor_id: string } };
type KeyParams = { Params: { flavor_id: string; key: string } };

const INT = { type: ['integer', 'string'], pattern: '^\\s*[0-9]+\\s*$' };
const DESCRIPTION = { type: ['string', 'null'], minLength: 0, maxLength: 65535, pattern: '^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$' };
const MAX_INT = 2147483647;

function createSchema(withDescription: boolean): object {
  return {
    type: 'object',
    properties: {
      flavor: {
        type: 'object',
        properties: {
          name: NAME,
          id: { anyOf: [{ type: 'null' }, { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' }] },
          ram: INT,
          vcpus: INT,
          disk: INT,
          'OS-FLV-EXT-DATA:ephemeral': INT,
          swap: INT,
          rxtx_factor: { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$' },
          'os-flavor-access:is_public': BODY_BOOLEAN,
          ...(withDescription ? { description: DESCRIPTION } : {}),
        },
        required: ['name', 'ram', 'vcpus', 'disk'],
        additionalProperties: false,
      },
    },
    required: ['flavor'],
    additionalProperties: false,
  };
}

const EXTRA_SPEC_KEY = '^[a-zA-Z0-9-_:. ]{1,255}$';
const EXTRA_SPEC_VALUE = { type: ['string', 'number', 'boolean'], minLength: 0, maxLength: 255 };
const extraSpecsSchema = {
  type: 'object',
  properties: {
    extra_specs: { type: 'object', patternProperties: { [EXTRA_SPEC_KEY]: EXTRA_SPEC_VALUE }, additionalProperties: false },
  },
  required: ['extra_specs'],
  additionalProperties: false,
};
const oneSpecSchema = {
  type: 'object',
  patternProperties: { [EXTRA_SPEC_KEY]: EXTRA_SPEC_VALUE },
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
};
const accessSchema = (action: string) => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { tenant: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-_]*$' } },
      required: ['tenant'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
});

function num(v: unknown, field: string, min: number, max = MAX_INT): number {
  const n = typeof v === 'string' ? Number(v.trim()) : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badRequest(
      `Invalid input for field/attribute ${field}. Value: ${String(v)}. ${String(v)} is not a valid integer in [${min}, ${max}]`,
    );
  }
  return n;
}

/** /flavors, flavor access and extra specs. */
export function registerFlavorRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, flavors } = s;
  const validate = bodyValidator();
  const canSeeSpecs = (req: FastifyRequest) => allowed(policy, req, 'os_compute_api:os-flavor-extra-specs:index');

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    const caller = callerOf(policy, req);
    const q = queryOf(req);
    const isPublicText = param(q, 'is_public');
    let isPublic: boolean | null = true;
    if (isPublicText !== undefined) {
      const t = isPublicText.trim().toLowerCase();
      if (t === 'none') isPublic = caller.isAdmin ? null : true;
      else if (['1', 't', 'true', 'on', 'y', 'yes'].includes(t)) isPublic = true;
      else if (['0', 'f', 'false', 'off', 'n', 'no'].includes(t)) isPublic = false;
      else throw badRequest(`Invalid is_public filter [${isPublicText}]`);
    }
    const limit = intParam(q, 'limit', 0);
    const result = await flavors.list(caller, {
      isPublic,
      minRam: intParam(q, 'minRam', 0),
      minDisk: intParam(q, 'minDisk', 0),
      sortKey: param(q, 'sort_key'),
      sortDir: param(q, 'sort_dir'),
      limit: limit !== undefined ? Math.min(limit, 1000) : undefined,
      marker: param(q, 'marker'),
    });
    const showSpecs = detail && req.microversion.atLeast('2.61') && canSeeSpecs(req);
    const body: Record<string, unknown> = {
      flavors: result.map((f) => (detail ? flavorView(req, f, showSpecs) : flavorIndexView(req, f))),
    };
    if (limit !== undefined && result.length > 0 && result.length === Math.min(limit, 1000)) {
      const next = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (k !== 'marker' && v !== undefined) next.set(k, Array.isArray(v) ? v[v.length - 1]! : v);
      next.set('marker', result[result.length - 1]!.id);
      body.flavors_links = [{ rel: 'next', href: `${baseUrl(req)}/v2.1/flavors${detail ? '/detail' : ''}?${next.toString()}` }];
    }
    return body;
  };
  app.get('/v2.1/flavors', list(false));
  app.get('/v2.1/flavors/detail', list(true));

  app.get<IdParams>('/v2.1/flavors/:flavor_id', async (req) => {
    const f = await flavors.getForCaller(callerOf(policy, req), req.params.flavor_id);
    return { flavor: flavorView(req, f, req.microversion.atLeast('2.61') && canSeeSpecs(req)) };
  });

  app.post('/v2.1/flavors', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-manage:create');
    const withDescription = req.microversion.atLeast('2.55');
    const { flavor: b } = validate<{ flavor: Record<string, unknown> }>(
      `create${withDescription}`,
      () => createSchema(withDescription),
      req.body,
    );
    const rxtx = b.rxtx_factor === undefined ? 1 : Number(b.rxtx_factor);
    if (!(rxtx > 0) || rxtx > 3.40282e38)
      throw badRequest(`Invalid input for field/attribute rxtx_factor. Value: ${String(b.rxtx_factor)}.`);
    const f = await flavors.create({
      id: (b.id as string | null | undefined) ?? null,
      name: b.name as string,
      ram: num(b.ram, 'ram', 1),
      vcpus: num(b.vcpus, 'vcpus', 1),
      disk: num(b.disk, 'disk', 0),
      ephemeral: b['OS-FLV-EXT-DATA:ephemeral'] === undefined ? 0 : num(b['OS-FLV-EXT-DATA:ephemeral'], 'OS-FLV-EXT-DATA:ephemeral', 0),
      swap: b.swap === undefined ? 0 : num(b.swap, 'swap', 0),
      rxtxFactor: rxtx,
      isPublic: b['os-flavor-access:is_public'] === undefined ? true : bodyBool(b['os-flavor-access:is_public']),
      description: (b.description as string | null | undefined) ?? null,
    });
    return { flavor: flavorView(req, f, req.microversion.atLeast('2.61') && canSeeSpecs(req)) };
  });

  app.put<IdParams>('/v2.1/flavors/:flavor_id', async (req) => {
    if (!req.microversion.atLeast('2.55')) throw versionNotFound();
    enforce(policy, req, 'os_compute_api:os-flavor-manage:update');
    const { flavor } = validate<{ flavor: { description: string | null } }>(
      'update',
      () => ({
        type: 'object',
        properties: {
          flavor: { type: 'object', properties: { description: DESCRIPTION }, required: ['description'], additionalProperties: false },
        },
        required: ['flavor'],
        additionalProperties: false,
      }),
      req.body,
    );
    const f = await flavors.updateDescription(callerOf(policy, req), req.params.flavor_id, flavor.description);
    return { flavor: flavorView(req, f, req.microversion.atLeast('2.61') && canSeeSpecs(req)) };
  });

  app.delete<IdParams>('/v2.1/flavors/:flavor_id', async (req, reply) => {
    enforce(policy, req, 'os_compute_api:os-flavor-manage:delete');
    await flavors.delete(req.params.flavor_id);
    return reply.code(202).send();
  });

  // ---- os-flavor-access
  const accessView = (flavorId: string, projects: string[]) => ({
    flavor_access: projects.map((p) => ({ flavor_id: flavorId, tenant_id: p })),
  });
  app.get<IdParams>('/v2.1/flavors/:flavor_id/os-flavor-access', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-access');
    return accessView(req.params.flavor_id, await flavors.accessList(callerOf(policy, req), req.params.flavor_id));
  });
  app.post<IdParams>('/v2.1/flavors/:flavor_id/action', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const action = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
    const caller = callerOf(policy, req);
    const id = req.params.flavor_id;
    if (action === 'addTenantAccess') {
      enforce(policy, req, 'os_compute_api:os-flavor-access:add_tenant_access');
      const b = validate<{ addTenantAccess: { tenant: string } }>('add', () => accessSchema('addTenantAccess'), body);
      return accessView(id, await flavors.addAccess(caller, id, b.addTenantAccess.tenant));
    }
    if (action === 'removeTenantAccess') {
      enforce(policy, req, 'os_compute_api:os-flavor-access:remove_tenant_access');
      const b = validate<{ removeTenantAccess: { tenant: string } }>('remove', () => accessSchema('removeTenantAccess'), body);
      return accessView(id, await flavors.removeAccess(caller, id, b.removeTenantAccess.tenant));
    }
    throw badRequest('There is no such action: ' + String(action ?? ''));
  });

  // ---- os-extra_specs
  app.get<IdParams>('/v2.1/flavors/:flavor_id/os-extra_specs', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-extra-specs:index');
    return { extra_specs: await flavors.extraSpecs(callerOf(policy, req), req.params.flavor_id) };
  });
  app.post<IdParams>('/v2.1/flavors/:flavor_id/os-extra_specs', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-extra-specs:create');
    const { extra_specs } = validate<{ extra_specs: Record<string, string | number | boolean> }>('specs', () => extraSpecsSchema, req.body);
    const specs = Object.fromEntries(Object.entries(extra_specs).map(([k, v]) => [k, String(v)]));
    await flavors.setExtraSpecs(callerOf(policy, req), req.params.flavor_id, specs);
    return { extra_specs: specs };
  });
  app.get<KeyParams>('/v2.1/flavors/:flavor_id/os-extra_specs/:key', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-extra-specs:show');
    const specs = await flavors.extraSpecs(callerOf(policy, req), req.params.flavor_id);
    const v = specs[req.params.key];
    if (v === undefined) {
      throw notFound(`Flavor ${req.params.flavor_id} has no extra specs with key ${req.params.key}.`, 'flavor_extra_spec_not_found');
    }
    return { [req.params.key]: v };
  });
  app.put<KeyParams>('/v2.1/flavors/:flavor_id/os-extra_specs/:key', async (req) => {
    enforce(policy, req, 'os_compute_api:os-flavor-extra-specs:update');
    const body = validate<Record<string, string | number | boolean>>('one', () => oneSpecSchema, req.body);
    if (!(req.params.key in body)) throw badRequest('Request body and URI mismatch');
    const value = String(body[req.params.key]);
    await flavors.setExtraSpecs(callerOf(policy, req), req.params.flavor_id, { [req.params.key]: value });
    return { [req.params.key]: value };
  });
  app.delete<KeyParams>('/v2.1/flavors/:flavor_id/os-extra_specs/:key', async (req, reply) => {
    enforce(policy, req, 'os_compute_api:os-flavor-extra-specs:delete');
    await flavors.deleteExtraSpec(callerOf(policy, req), req.params.flavor_id, req.params.key);
    return reply.code(200).send();
  });
}
