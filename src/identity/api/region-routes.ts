import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Region } from '../domain/models.js';
import type { RegionInput } from '../domain/region-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { collectionLinks, enforce, selfLinks } from './route-helpers.js';

const RegionBody = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 65535 })),
    parent_region_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
  },
  { additionalProperties: true },
);
const Create = Type.Object({ region: RegionBody }, { additionalProperties: false });
const IdParam = Type.Object({ region_id: Type.String({ minLength: 1, maxLength: 255 }) });
const ListQuery = Type.Object({ parent_region_id: Type.Optional(Type.String()) });

export function regionView(req: FastifyRequest, r: Region): Record<string, unknown> {
  return {
    ...r.extra,
    id: r.id,
    description: r.description,
    parent_region_id: r.parentRegionId,
    links: selfLinks(req, `regions/${r.id}`),
  };
}

/** /v3/regions */
export function registerRegionRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, regions } = svc;

  app.get('/v3/regions', { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_regions');
    const q = req.query as { parent_region_id?: string };
    const list = await regions.list({ parentRegionId: q.parent_region_id });
    return { regions: list.map((r) => regionView(req, r)), links: collectionLinks(req) };
  });

  app.get('/v3/regions/:region_id', { schema: { params: IdParam } }, async (req) => {
    enforce(policy, req, 'identity:get_region');
    const { region_id } = req.params as { region_id: string };
    return { region: regionView(req, await regions.get(region_id)) };
  });

  app.post('/v3/regions', { schema: { body: Create } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_region');
    const { region } = req.body as { region: RegionInput };
    return reply.code(201).send({ region: regionView(req, await regions.create(region)) });
  });

  // PUT with an ID in the path creates a region with that ID.
  app.put('/v3/regions/:region_id', { schema: { params: IdParam, body: Create } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_region');
    const { region_id } = req.params as { region_id: string };
    const { region } = req.body as { region: RegionInput };
    return reply.code(201).send({ region: regionView(req, await regions.create({ ...region, id: region_id })) });
  });

  app.patch('/v3/regions/:region_id', { schema: { params: IdParam, body: Create } }, async (req) => {
    enforce(policy, req, 'identity:update_region');
    const { region_id } = req.params as { region_id: string };
    const { region } = req.body as { region: RegionInput };
    return { region: regionView(req, await regions.update(region_id, region)) };
  });

  app.delete('/v3/regions/:region_id', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_region');
    const { region_id } = req.params as { region_id: string };
    await regions.get(region_id);
    await svc.catalog.assertRegionUnused(region_id);
    await regions.delete(region_id);
    return reply.code(204).send();
  });
}
