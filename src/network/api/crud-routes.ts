import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { NetworkCaller } from '../domain/caller.js';
import { listBody, pickFields } from './list-query.js';
import { callerOf, type IdParams } from './route-helpers.js';

type View = Record<string, unknown>;

/** One Neutron collection: its names and how each verb maps onto the domain. */
export interface Collection {
  /** URL segment and list key ("security-groups" → key "security_groups"). */
  path: string;
  collection: string;
  resource: string;
  parse: (body: unknown) => Record<string, unknown>[];
  /** Bulk create ({collection: [...]}) is served. */
  bulk: boolean;
  list(caller: NetworkCaller, req: FastifyRequest): Promise<View[]>;
  show(caller: NetworkCaller, id: string): Promise<View>;
  create(caller: NetworkCaller, input: Record<string, unknown>): Promise<View>;
  update(caller: NetworkCaller, id: string, input: Record<string, unknown>): Promise<View>;
  delete(caller: NetworkCaller, id: string): Promise<void>;
}

/** GET/POST /v2.0/<path>, GET/PUT/DELETE /v2.0/<path>/:id with Neutron's bodies and list semantics. */
export function registerCollection(app: FastifyInstance, policy: PolicyEngine, c: Collection): void {
  const base = `/v2.0/${c.path}`;
  app.get(base, async (req) => listBody(req, c.collection, base, await c.list(callerOf(policy, req), req)));
  app.get<IdParams>(`${base}/:id`, async (req) => ({ [c.resource]: pickFields(req, await c.show(callerOf(policy, req), req.params.id)) }));
  app.post(base, async (req, reply) => {
    const caller = callerOf(policy, req);
    const items = c.parse(req.body);
    const isBulk = c.bulk && Array.isArray((req.body as Record<string, unknown>)[c.collection]);
    if (!isBulk) {
      const view = await c.create(caller, items[0]!);
      return reply.code(201).send({ [c.resource]: view });
    }
    // Bulk: all or nothing, as Neutron's native bulk create.
    const made: View[] = [];
    try {
      for (const item of items) made.push(await c.create(caller, item));
    } catch (e) {
      for (const v of made.reverse()) await c.delete(caller, String(v.id)).catch(() => undefined);
      throw e;
    }
    return reply.code(201).send({ [c.collection]: made });
  });
  app.put<IdParams>(`${base}/:id`, async (req) => {
    const caller = callerOf(policy, req);
    const [input] = c.parse(req.body);
    return { [c.resource]: await c.update(caller, req.params.id, input!) };
  });
  app.delete<IdParams>(`${base}/:id`, async (req, reply) => {
    await c.delete(callerOf(policy, req), req.params.id);
    return reply.code(204).send();
  });
}
