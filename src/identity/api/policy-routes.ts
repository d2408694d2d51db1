import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityServices } from '../domain/identity-services.js';
import type { PolicyBlob, PolicyBlobInput } from '../domain/policy-blob-service.js';
import { collectionLinks, enforce, selfLinks } from './route-helpers.js';

// Keystone's policy schemas: blob and type are strings, other attributes are kept as extras.
const policyProps = {
  blob: Type.Optional(Type.String()),
  type: Type.Optional(Type.String({ maxLength: 255 })),
};
const PolicyCreate = Type.Object(
  { policy: Type.Object({ ...policyProps, blob: Type.String(), type: Type.String({ maxLength: 255 }) }, { additionalProperties: true }) },
  { additionalProperties: false },
);
const PolicyUpdate = Type.Object(
  { policy: Type.Object(policyProps, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
const IdParam = Type.Object({ policy_id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({ type: Type.Optional(Type.String()) });

export function policyView(req: FastifyRequest, p: PolicyBlob): Record<string, unknown> {
  return { ...p.extra, id: p.id, type: p.type, blob: p.blob, links: selfLinks(req, `policies/${p.id}`) };
}

/** /v3/policies: stored policy documents (deprecated in Keystone since Queens, still served). */
export function registerPolicyRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, policies } = svc;

  app.get('/v3/policies', { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_policies');
    const q = req.query as { type?: string };
    const list = await policies.list({ type: q.type });
    return { policies: list.map((p) => policyView(req, p)), links: collectionLinks(req) };
  });

  app.get('/v3/policies/:policy_id', { schema: { params: IdParam } }, async (req) => {
    enforce(policy, req, 'identity:get_policy');
    const { policy_id } = req.params as { policy_id: string };
    return { policy: policyView(req, await policies.get(policy_id)) };
  });

  app.post('/v3/policies', { schema: { body: PolicyCreate } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_policy');
    const body = req.body as { policy: PolicyBlobInput };
    return reply.code(201).send({ policy: policyView(req, await policies.create(body.policy)) });
  });

  app.patch('/v3/policies/:policy_id', { schema: { params: IdParam, body: PolicyUpdate } }, async (req) => {
    enforce(policy, req, 'identity:update_policy');
    const { policy_id } = req.params as { policy_id: string };
    const body = req.body as { policy: PolicyBlobInput };
    return { policy: policyView(req, await policies.update(policy_id, body.policy)) };
  });

  app.delete('/v3/policies/:policy_id', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_policy');
    const { policy_id } = req.params as { policy_id: string };
    await policies.delete(policy_id);
    return reply.code(204).send();
  });
}
