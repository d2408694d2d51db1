import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { DEFAULT_DOMAIN_ID, type DomainInput } from '../domain/resource-service.js';
import { authOf, collectionLinks, enforce, queryBool } from './route-helpers.js';
import { domainView } from './views.js';

/** Keystone's domain and project names: 1..64 characters, not only whitespace. */
export const ResourceName = Type.String({ minLength: 1, maxLength: 64, pattern: '[\\S]+' });
/** Keystone's IDs in bodies (parameter_types.id_string). */
export const IdString = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' });
export const Description = Type.Union([Type.String({ maxLength: 65535 }), Type.Null()]);
export const TagName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^,/]*$' });
export const TagList = Type.Array(TagName, { maxItems: 80, uniqueItems: true });

const domainProps = {
  name: Type.Optional(ResourceName),
  description: Type.Optional(Description),
  enabled: Type.Optional(Type.Boolean()),
  tags: Type.Optional(TagList),
  options: Type.Optional(Type.Object({})),
};
// Keystone keeps unknown attributes as extras, so the entity is open; the wrapper is not.
const DomainCreate = Type.Object(
  {
    domain: Type.Object(
      { ...domainProps, name: ResourceName, explicit_domain_id: Type.Optional(IdString) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);
const DomainUpdate = Type.Object(
  { domain: Type.Object({ ...domainProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
const IdParam = Type.Object({ domain_id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({ name: Type.Optional(Type.String()), enabled: Type.Optional(Type.String()) });

/**
 * The domain a create call lands in when the body names none: the token's
 * domain scope, else its project's domain, else the default domain.
 */
export function callerDomainId(req: FastifyRequest): string {
  const auth = authOf(req);
  return auth.domainId ?? auth.projectDomainId ?? DEFAULT_DOMAIN_ID;
}

/** Keystone refuses a body whose `id` differs from the one in the path. */
export function requireMatchingId(body: { id?: unknown }, id: string): void {
  if (body.id !== undefined && body.id !== id) throw badRequest('Cannot change ID.', 'validation_error');
}

/** /v3/domains */
export function registerDomainRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, resources } = svc;

  app.get('/v3/domains', { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_domains');
    const q = req.query as { name?: string; enabled?: string };
    const list = await resources.listDomains({ name: q.name, enabled: queryBool(q.enabled) });
    return { domains: list.map((d) => domainView(req, d)), links: collectionLinks(req) };
  });

  app.get('/v3/domains/:domain_id', { schema: { params: IdParam } }, async (req) => {
    const { domain_id } = req.params as { domain_id: string };
    enforce(policy, req, 'identity:get_domain', { target: { domain: { id: domain_id } } });
    return { domain: domainView(req, await resources.getDomain(domain_id)) };
  });

  app.post('/v3/domains', { schema: { body: DomainCreate } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_domain');
    const { domain } = req.body as { domain: DomainInput };
    return reply.code(201).send({ domain: domainView(req, await resources.createDomain(domain)) });
  });

  app.patch('/v3/domains/:domain_id', { schema: { params: IdParam, body: DomainUpdate } }, async (req) => {
    const { domain_id } = req.params as { domain_id: string };
    enforce(policy, req, 'identity:update_domain', { target: { domain: { id: domain_id } } });
    const { domain } = req.body as { domain: DomainInput & { id?: string } };
    requireMatchingId(domain, domain_id);
    return { domain: domainView(req, await resources.updateDomain(domain_id, domain)) };
  });

  app.delete('/v3/domains/:domain_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { domain_id } = req.params as { domain_id: string };
    enforce(policy, req, 'identity:delete_domain', { target: { domain: { id: domain_id } } });
    await deleteDomainCascade(svc, domain_id);
    return reply.code(204).send();
  });
}

/** Keystone deletes a (disabled) domain with its projects, users and groups; also used for is_domain projects. */
export async function deleteDomainCascade(svc: IdentityServices, id: string): Promise<void> {
  // Users and groups go with the domain through the resource cleanup hook (identity-services.ts).
  await svc.resources.deleteDomain(id);
}
