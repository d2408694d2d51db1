import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlacementServices } from '../domain/placement-services.js';
import type { ProviderFilter } from '../domain/provider-service.js';
import { badValue, isUuid, parseMemberOf, parseResources, parseTraits } from '../domain/request-groups.js';
import { UUID_PATTERN, enforce, mv, noContent, normalizeUuid, providerView, queryOf, validBody } from './route-helpers.js';

const NAME = { type: 'string', minLength: 1, maxLength: 200 };
const UUID = { type: 'string', pattern: UUID_PATTERN };
const createSchema = (parent: boolean) => ({
  type: 'object',
  properties: { name: NAME, uuid: UUID, ...(parent ? { parent_provider_uuid: { anyOf: [UUID, { type: 'null' }] } } : {}) },
  required: ['name'],
  additionalProperties: false,
});
const CREATE_1_0 = createSchema(false);
const CREATE_1_14 = createSchema(true);
const UPDATE_1_0 = { ...CREATE_1_0, properties: { name: NAME } };
const UPDATE_1_14 = { ...CREATE_1_14, properties: { name: NAME, parent_provider_uuid: { anyOf: [UUID, { type: 'null' }] } } };

/** Query filters of GET /resource_providers, gated by microversion as placement's schemas are. */
function listFilter(req: FastifyRequest): ProviderFilter {
  const v = mv(req);
  const since: Record<string, string> = { name: '1.0', uuid: '1.0', member_of: '1.3', resources: '1.4', in_tree: '1.14', required: '1.18' };
  const q = queryOf(
    req,
    (k) => since[k] !== undefined && v.atLeast(since[k]!),
    (k) => (k === 'member_of' && v.atLeast('1.24')) || (k === 'required' && v.atLeast('1.38')),
  );
  const one = (k: string) => q.get(k)?.[0];
  const f: ProviderFilter = { suffix: '', resources: new Map(), required: [], forbidden: [], memberOf: [], forbiddenAggregates: [] };
  f.name = one('name');
  const uuid = one('uuid');
  if (uuid !== undefined) {
    if (!isUuid(uuid)) throw badValue(`Invalid query string parameters: '${uuid}' is not a 'uuid'`);
    f.uuid = normalizeUuid(uuid);
  }
  if (q.has('resources')) f.resources = parseResources(one('resources')!);
  if (q.has('member_of')) {
    const m = parseMemberOf(q.get('member_of')!, v);
    f.memberOf = m.memberOf;
    f.forbiddenAggregates = m.forbidden;
  }
  const inTree = one('in_tree');
  if (inTree !== undefined) {
    if (!isUuid(inTree)) throw badValue(`Invalid uuid value: ${inTree}`);
    f.inTree = normalizeUuid(inTree);
  }
  if (q.has('required')) {
    const t = parseTraits(q.get('required')!, v);
    if (t.required.length === 0 && t.forbidden.length === 0) throw badValue('Invalid query string parameters: required must not be empty');
    f.required = t.required;
    f.forbidden = t.forbidden;
  }
  return f;
}

/** /resource_providers and /resource_providers/{uuid}. */
export function registerProviderRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, providers, traits } = svc;

  app.get('/resource_providers', async (req) => {
    enforce(policy, req, 'placement:resource_providers:list');
    const f = listFilter(req);
    for (const any of f.required) {
      for (const t of any) if (!(await traits.exists(t))) throw badValue(`No such trait(s): ${t}`);
    }
    const list = await providers.list(f);
    return { resource_providers: list.map((p) => providerView(req, p)) };
  });

  app.post('/resource_providers', async (req, reply) => {
    enforce(policy, req, 'placement:resource_providers:create');
    const v = mv(req);
    const body = validBody<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(
      v.atLeast('1.14') ? CREATE_1_14 : CREATE_1_0,
      req.body,
    );
    const p = await providers.create({
      name: body.name,
      uuid: body.uuid ? normalizeUuid(body.uuid) : undefined,
      parentUuid: body.parent_provider_uuid ? normalizeUuid(body.parent_provider_uuid) : null,
    });
    reply.code(201).header('location', `/resource_providers/${p.uuid}`);
    // Before 1.20 the answer is an empty 201 with only the Location.
    return v.atLeast('1.20') ? reply.send(providerView(req, p)) : reply.send();
  });

  app.get('/resource_providers/:uuid', async (req) => {
    enforce(policy, req, 'placement:resource_providers:show');
    const { uuid } = req.params as { uuid: string };
    return providerView(req, await providers.get(uuid));
  });

  app.put('/resource_providers/:uuid', async (req) => {
    enforce(policy, req, 'placement:resource_providers:update');
    const { uuid } = req.params as { uuid: string };
    const v = mv(req);
    const body = validBody<{ name: string; parent_provider_uuid?: string | null }>(v.atLeast('1.14') ? UPDATE_1_14 : UPDATE_1_0, req.body);
    const parent = body.parent_provider_uuid;
    const p = await providers.update(
      uuid,
      { name: body.name, parentUuid: parent === undefined || parent === null ? parent : normalizeUuid(parent) },
      v,
    );
    return providerView(req, p);
  });

  app.delete('/resource_providers/:uuid', async (req, reply) => {
    enforce(policy, req, 'placement:resource_providers:delete');
    const { uuid } = req.params as { uuid: string };
    await providers.delete(uuid);
    return noContent(reply);
  });
}
