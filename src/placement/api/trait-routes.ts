import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlacementServices } from '../domain/placement-services.js';
import { badValue } from '../domain/request-groups.js';
import type { TraitFilter } from '../domain/trait-service.js';
import { enforce, noContent, queryOf, requireVersion, validBody } from './route-helpers.js';

const TRAIT = { type: 'string', pattern: '^[A-Z0-9_]+$', maxLength: 255 };
const PROVIDER_TRAITS = {
  type: 'object',
  properties: { traits: { type: 'array', items: TRAIT, uniqueItems: true }, resource_provider_generation: { type: 'integer' } },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
};

const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;
const uuidOf = (req: FastifyRequest) => (req.params as { uuid: string }).uuid;

function traitFilter(req: FastifyRequest): TraitFilter {
  const q = queryOf(req, (k) => k === 'name' || k === 'associated');
  const f: TraitFilter = {};
  const name = q.get('name')?.[0];
  if (name !== undefined) {
    if (name.startsWith('startswith:')) f.prefix = name.slice('startswith:'.length);
    else if (name.startsWith('in:')) f.names = name.slice(3).split(',');
    else
      throw badValue(
        `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${name}"`,
      );
  }
  const assoc = q.get('associated')?.[0];
  if (assoc !== undefined) {
    if (!['true', 'false'].includes(assoc.toLowerCase()))
      throw badValue(`Invalid query string parameters: associated must be true or false. Got: ${assoc}`);
    f.associated = assoc.toLowerCase() === 'true';
  }
  return f;
}

/** /traits and /resource_providers/{uuid}/traits (1.6+). */
export function registerTraitRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, traits, providers } = svc;

  app.get('/traits', async (req) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:traits:list');
    return { traits: await traits.list(traitFilter(req)) };
  });

  app.get('/traits/:name', async (req, reply) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:traits:show');
    await traits.get(nameOf(req));
    return noContent(reply);
  });

  app.put('/traits/:name', async (req, reply) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:traits:update');
    const name = nameOf(req);
    if (!/^[A-Z0-9_]{1,255}$/.test(name)) {
      throw badValue(
        `The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"`,
      );
    }
    const created = await traits.ensure(name);
    if (created) return reply.code(201).header('location', `/traits/${name}`).send();
    return noContent(reply);
  });

  app.delete('/traits/:name', async (req, reply) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:traits:delete');
    await traits.delete(nameOf(req));
    return noContent(reply);
  });

  app.get('/resource_providers/:uuid/traits', async (req) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:resource_providers:traits:list');
    const r = await providers.traits(uuidOf(req));
    return { traits: r.traits, resource_provider_generation: r.provider.generation };
  });

  app.put('/resource_providers/:uuid/traits', async (req) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:resource_providers:traits:update');
    const body = validBody<{ traits: string[]; resource_provider_generation: number }>(PROVIDER_TRAITS, req.body);
    const r = await providers.setTraits(uuidOf(req), body.resource_provider_generation, body.traits);
    return { traits: r.traits, resource_provider_generation: r.provider.generation };
  });

  app.delete('/resource_providers/:uuid/traits', async (req, reply) => {
    requireVersion(req, '1.6');
    enforce(policy, req, 'placement:resource_providers:traits:delete');
    const { provider } = await providers.traits(uuidOf(req));
    await providers.setTraits(provider.uuid, provider.generation, []);
    return noContent(reply);
  });
}
