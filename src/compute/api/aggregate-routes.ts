import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { Aggregate } from '../domain/aggregate-service.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import { NAME, bodyValidator, novaTime } from './resource-route-helpers.js';
import { enforce } from './route-helpers.js';

type IdParams = { Params: { id: string } };

function view(req: FastifyRequest, a: Aggregate, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: a.row.id,
    name: a.row.name,
    availability_zone: a.availabilityZone,
    created_at: novaTime(a.row.created_at),
    updated_at: novaTime(a.row.updated_at),
    deleted_at: null,
    deleted: false,
  };
  if (full) {
    out.hosts = a.hosts;
    out.metadata = a.metadata;
  }
  if (req.microversion.atLeast('2.41')) out.uuid = a.row.uuid;
  return out;
}

const AZ = { anyOf: [{ type: 'null' }, { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^:]*$' }] };
const createSchema = {
  type: 'object',
  properties: {
    aggregate: { type: 'object', properties: { name: NAME, availability_zone: AZ }, required: ['name'], additionalProperties: false },
  },
  required: ['aggregate'],
  additionalProperties: false,
};
const updateSchema = {
  type: 'object',
  properties: {
    aggregate: { type: 'object', properties: { name: NAME, availability_zone: AZ }, minProperties: 1, additionalProperties: false },
  },
  required: ['aggregate'],
  additionalProperties: false,
};
const hostAction = (action: string) => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { host: { type: 'string', minLength: 1, maxLength: 255 } },
      required: ['host'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
});
const metadataAction = {
  type: 'object',
  properties: {
    set_metadata: {
      type: 'object',
      properties: {
        metadata: {
          type: 'object',
          patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'null'], maxLength: 255 } },
          additionalProperties: false,
        },
      },
      required: ['metadata'],
      additionalProperties: false,
    },
  },
  required: ['set_metadata'],
  additionalProperties: false,
};

function aggregateId(id: string): number {
  if (!/^\d+$/.test(id)) throw badRequest(`Invalid aggregate id ${id}`);
  return Number(id);
}

/** os-aggregates (admin). */
export function registerAggregateRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, aggregates } = s;
  const validate = bodyValidator();

  app.get('/v2.1/os-aggregates', async (req) => {
    enforce(policy, req, 'os_compute_api:os-aggregates:index');
    return { aggregates: (await aggregates.list()).map((a) => view(req, a, true)) };
  });
  app.post('/v2.1/os-aggregates', async (req) => {
    enforce(policy, req, 'os_compute_api:os-aggregates:create');
    const { aggregate: b } = validate<{ aggregate: { name: string; availability_zone?: string | null } }>(
      'create',
      () => createSchema,
      req.body,
    );
    return { aggregate: view(req, await aggregates.create(b.name, b.availability_zone ?? null), false) };
  });
  app.get<IdParams>('/v2.1/os-aggregates/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-aggregates:show');
    return { aggregate: view(req, await aggregates.get(aggregateId(req.params.id)), true) };
  });
  app.put<IdParams>('/v2.1/os-aggregates/:id', async (req) => {
    enforce(policy, req, 'os_compute_api:os-aggregates:update');
    const { aggregate: b } = validate<{ aggregate: { name?: string; availability_zone?: string | null } }>(
      'update',
      () => updateSchema,
      req.body,
    );
    return { aggregate: view(req, await aggregates.update(aggregateId(req.params.id), b.name, b.availability_zone), true) };
  });
  app.delete<IdParams>('/v2.1/os-aggregates/:id', async (req, reply) => {
    enforce(policy, req, 'os_compute_api:os-aggregates:delete');
    await aggregates.delete(aggregateId(req.params.id));
    return reply.code(200).send();
  });
  app.post<IdParams>('/v2.1/os-aggregates/:id/action', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const action = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
    const id = aggregateId(req.params.id);
    switch (action) {
      case 'add_host': {
        enforce(policy, req, 'os_compute_api:os-aggregates:add_host');
        const b = validate<{ add_host: { host: string } }>('add', () => hostAction('add_host'), body);
        return { aggregate: view(req, await aggregates.addHost(id, b.add_host.host), true) };
      }
      case 'remove_host': {
        enforce(policy, req, 'os_compute_api:os-aggregates:remove_host');
        const b = validate<{ remove_host: { host: string } }>('remove', () => hostAction('remove_host'), body);
        return { aggregate: view(req, await aggregates.removeHost(id, b.remove_host.host), true) };
      }
      case 'set_metadata': {
        enforce(policy, req, 'os_compute_api:os-aggregates:set_metadata');
        const b = validate<{ set_metadata: { metadata: Record<string, string | null> } }>('meta', () => metadataAction, body);
        return { aggregate: view(req, await aggregates.setMetadata(id, b.set_metadata.metadata), true) };
      }
      default:
        throw badRequest(`Invalid request body: unknown action ${String(action ?? '')}`);
    }
  });
}
