import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { Microversion } from '../../lib/http/microversion.js';
import type { ConsumerClaim } from '../domain/models.js';
import type { PlacementServices } from '../domain/placement-services.js';
import { isUuid } from '../domain/request-groups.js';
import { UUID_PATTERN, enforce, mv, noContent, normalizeUuid, requireVersion, validBody } from './route-helpers.js';

/** Placement's stand-in owner for allocations written without project/user (before 1.8). */
const INCOMPLETE_CONSUMER = '00000000-0000-0000-0000-000000000000';
const RC_RESOURCES = {
  type: 'object',
  minProperties: 1,
  patternProperties: { '^[A-Z0-9_]{1,255}$': { type: 'integer', minimum: 1, maximum: 2147483647 } },
  additionalProperties: false,
};
const ID = { type: 'string', minLength: 1, maxLength: 255 };
const CONSUMER_TYPE = { type: 'string', pattern: '^[A-Z0-9_]+$', minLength: 1, maxLength: 255 };
const UUID = { type: 'string', pattern: UUID_PATTERN };

const LIST_FORM = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: {
      resource_provider: { type: 'object', properties: { uuid: UUID }, required: ['uuid'], additionalProperties: false },
      resources: RC_RESOURCES,
    },
    required: ['resource_provider', 'resources'],
    additionalProperties: false,
  },
};
const dictForm = (minProperties: number) => ({
  type: 'object',
  minProperties,
  patternProperties: {
    [UUID_PATTERN]: {
      type: 'object',
      properties: { resources: RC_RESOURCES, generation: { type: 'integer' } },
      required: ['resources'],
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

/** The body of one consumer's allocations at microversion `v` (PUT, or one entry of POST when `post`). */
export function consumerSchema(v: Microversion, post: boolean): object {
  const properties: Record<string, unknown> = {
    allocations: v.atLeast('1.12') ? dictForm(post ? 0 : 1) : LIST_FORM,
    project_id: ID,
    user_id: ID,
  };
  const required = ['allocations'];
  if (v.atLeast('1.8')) required.push('project_id', 'user_id');
  if (v.atLeast('1.28')) {
    properties.consumer_generation = { type: ['integer', 'null'] };
    required.push('consumer_generation');
  }
  if (v.atLeast('1.34')) properties.mappings = { type: 'object', additionalProperties: { type: 'array', items: UUID, minItems: 1 } };
  if (v.atLeast('1.38')) {
    properties.consumer_type = CONSUMER_TYPE;
    required.push('consumer_type');
  }
  return { type: 'object', properties, required, additionalProperties: false };
}
const schemaCache = new Map<string, object>();
/** The PUT body, or (post) the whole POST /allocations body, per microversion; built once each. */
function schemaFor(v: Microversion, post: boolean): object {
  const key = `${v.toString()}/${post}`;
  let s = schemaCache.get(key);
  if (!s) {
    s = post
      ? { type: 'object', minProperties: 1, patternProperties: { [UUID_PATTERN]: consumerSchema(v, true) }, additionalProperties: false }
      : consumerSchema(v, false);
    schemaCache.set(key, s);
  }
  return s;
}

export interface ConsumerBody {
  allocations:
    Record<string, { resources: Record<string, number> }> | { resource_provider: { uuid: string }; resources: Record<string, number> }[];
  project_id?: string;
  user_id?: string;
  consumer_generation?: number | null;
  consumer_type?: string;
}

export function claimOf(consumerUuid: string, b: ConsumerBody, v: Microversion): ConsumerClaim {
  const allocations: Record<string, Record<string, number>> = {};
  const add = (rp: string, res: Record<string, number>) => {
    const key = normalizeUuid(rp);
    allocations[key] = { ...(allocations[key] ?? {}), ...res };
  };
  if (Array.isArray(b.allocations)) for (const a of b.allocations) add(a.resource_provider.uuid, a.resources);
  else for (const [rp, a] of Object.entries(b.allocations)) add(rp, a.resources);
  if ((b.project_id === undefined) !== (b.user_id === undefined)) throw badRequest('project_id and user_id must be given together.');
  return {
    consumerUuid,
    allocations,
    projectId: b.project_id ?? INCOMPLETE_CONSUMER,
    userId: b.user_id ?? INCOMPLETE_CONSUMER,
    consumerType: b.consumer_type,
    consumerGeneration: v.atLeast('1.28') ? (b.consumer_generation ?? null) : undefined,
  };
}

function consumerParam(req: FastifyRequest): string {
  const { consumer_uuid } = req.params as { consumer_uuid: string };
  if (!isUuid(consumer_uuid)) throw badRequest(`Malformed consumer_uuid: ${consumer_uuid}`);
  return normalizeUuid(consumer_uuid);
}

/** /allocations/{consumer}, POST /allocations and /resource_providers/{uuid}/allocations. */
export function registerAllocationRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, allocations } = svc;

  app.get('/allocations/:consumer_uuid', async (req) => {
    enforce(policy, req, 'placement:allocations:list');
    const { consumer_uuid } = req.params as { consumer_uuid: string };
    const v = mv(req);
    const { consumer, rows, generations } = await allocations.forConsumer(
      isUuid(consumer_uuid) ? normalizeUuid(consumer_uuid) : consumer_uuid,
    );
    const body: Record<string, unknown> = {};
    const allocs: Record<string, { generation: number; resources: Record<string, number> }> = {};
    for (const r of rows) {
      const a = (allocs[r.providerUuid] ??= { generation: generations.get(r.providerUuid)!, resources: {} });
      a.resources[r.resourceClass] = r.used;
    }
    body.allocations = allocs;
    if (consumer && v.atLeast('1.12')) {
      body.project_id = consumer.projectId;
      body.user_id = consumer.userId;
    }
    if (consumer && v.atLeast('1.28')) body.consumer_generation = consumer.generation;
    if (consumer && v.atLeast('1.38')) body.consumer_type = consumer.consumerType ?? 'unknown';
    return body;
  });

  app.put('/allocations/:consumer_uuid', async (req, reply) => {
    enforce(policy, req, 'placement:allocations:update');
    const consumerUuid = consumerParam(req);
    const v = mv(req);
    const body = validBody<ConsumerBody>(schemaFor(v, false), req.body);
    await allocations.replace([claimOf(consumerUuid, body, v)]);
    return noContent(reply);
  });

  app.delete('/allocations/:consumer_uuid', async (req, reply) => {
    enforce(policy, req, 'placement:allocations:delete');
    const { consumer_uuid } = req.params as { consumer_uuid: string };
    await allocations.delete(isUuid(consumer_uuid) ? normalizeUuid(consumer_uuid) : consumer_uuid);
    return noContent(reply);
  });

  app.post('/allocations', async (req, reply) => {
    requireVersion(req, '1.13');
    enforce(policy, req, 'placement:allocations:manage');
    const v = mv(req);
    const body = validBody<Record<string, ConsumerBody>>(schemaFor(v, true), req.body);
    const claims = Object.entries(body).map(([consumer, b]) => claimOf(normalizeUuid(consumer), b, v));
    await allocations.replace(claims);
    return noContent(reply);
  });

  app.get('/resource_providers/:uuid/allocations', async (req) => {
    requireVersion(req, '1.11');
    enforce(policy, req, 'placement:resource_providers:allocations:list');
    const { uuid } = req.params as { uuid: string };
    const { generation, rows } = await allocations.forProvider(uuid);
    const out: Record<string, { resources: Record<string, number> }> = {};
    for (const r of rows) (out[r.consumerUuid] ??= { resources: {} }).resources[r.resourceClass] = r.used;
    return { allocations: out, resource_provider_generation: generation };
  });
}
