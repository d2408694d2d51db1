import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityServices } from '../domain/identity-services.js';
import type { Role } from '../domain/models.js';
import type { RoleInput } from '../domain/role-service.js';
import { Description, IdString, requireMatchingId } from './domain-routes.js';
import { collectionLinks, enforce, selfLinks } from './route-helpers.js';
import { roleRefView, roleView } from './views.js';

/** Keystone's parameter_types.name: 1..255 characters, not only whitespace. */
const RoleName = Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' });
/** Keystone's role resource options; null clears an option. */
const RoleOptions = Type.Object({ immutable: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])) }, { additionalProperties: false });
const roleProps = {
  name: Type.Optional(RoleName),
  description: Type.Optional(Description),
  options: Type.Optional(RoleOptions),
};
// Unknown attributes are kept as extras, as Keystone does; the wrapper is strict.
const RoleCreate = Type.Object(
  {
    role: Type.Object(
      { ...roleProps, name: RoleName, domain_id: Type.Optional(Type.Union([IdString, Type.Null()])) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);
const RoleUpdate = Type.Object(
  {
    role: Type.Object(
      { ...roleProps, id: Type.Optional(Type.String()), domain_id: Type.Optional(Type.Union([Type.String(), Type.Null()])) },
      { additionalProperties: true, minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const IdParam = Type.Object({ role_id: Id });
const PriorParam = Type.Object({ prior_role_id: Id });
const ImplicationParam = Type.Object({ prior_role_id: Id, implied_role_id: Id });
const ListQuery = Type.Object({ name: Type.Optional(Type.String()), domain_id: Type.Optional(Type.String()) });

type ImplicationParams = { prior_role_id: string; implied_role_id: string };

/** Policy target of a role: domain-specific roles have their own rules. */
const roleTarget = (r: Role) => ({ target: { role: { id: r.id, name: r.name, domain_id: r.domainId } } });

/** `{"role_inference": {"prior_role": …, "implies": …}}` with the body's own self link. */
function inferenceView(req: FastifyRequest, prior: Role, implies: Role | Role[], self: string): Record<string, unknown> {
  const implied = Array.isArray(implies) ? implies.map((r) => roleRefView(req, r)) : roleRefView(req, implies);
  return { role_inference: { prior_role: roleRefView(req, prior), implies: implied }, links: selfLinks(req, self) };
}

/** /v3/roles, /v3/roles/{id}/implies and /v3/role_inferences */
export function registerRoleRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, roles, resources } = svc;

  /**
   * Keystone enforces the generic rule when the role does not exist (so as not
   * to reveal it) and the domain-role rule for domain-specific roles.
   */
  async function enforceOnRole(req: FastifyRequest, id: string, action: 'get' | 'update' | 'delete'): Promise<Role> {
    const role = await roles.find(id);
    if (role?.domainId) enforce(policy, req, `identity:${action}_domain_role`, roleTarget(role));
    else enforce(policy, req, `identity:${action}_role`, role ? roleTarget(role) : {});
    return role ?? roles.get(id);
  }

  /** Both roles of an implication, for the policy target (404 when either is missing). */
  async function implicationTarget(p: ImplicationParams): Promise<Record<string, unknown>> {
    const prior = await roles.get(p.prior_role_id);
    const implied = await roles.get(p.implied_role_id);
    const ref = (r: Role) => ({ id: r.id, name: r.name, domain_id: r.domainId });
    return { target: { prior_role: ref(prior), implied_role: ref(implied) } };
  }

  app.get('/v3/roles', { schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query as { name?: string; domain_id?: string };
    enforce(policy, req, q.domain_id ? 'identity:list_domain_roles' : 'identity:list_roles');
    // Without a domain_id filter Keystone lists global roles only.
    const list = await roles.list({ name: q.name, domainId: q.domain_id ? q.domain_id : null });
    return { roles: list.map((r) => roleView(req, r)), links: collectionLinks(req) };
  });

  app.get('/v3/roles/:role_id', { schema: { params: IdParam } }, async (req) => {
    const { role_id } = req.params as { role_id: string };
    return { role: roleView(req, await enforceOnRole(req, role_id, 'get')) };
  });

  app.post('/v3/roles', { schema: { body: RoleCreate } }, async (req, reply) => {
    const { role } = req.body as { role: RoleInput };
    enforce(policy, req, role.domain_id ? 'identity:create_domain_role' : 'identity:create_role', { target: { role } });
    if (role.domain_id) await resources.getDomain(role.domain_id);
    const { id: _ignored, ...input } = role as RoleInput & { id?: unknown };
    return reply.code(201).send({ role: roleView(req, await roles.create(input)) });
  });

  app.patch('/v3/roles/:role_id', { schema: { params: IdParam, body: RoleUpdate } }, async (req) => {
    const { role_id } = req.params as { role_id: string };
    await enforceOnRole(req, role_id, 'update');
    const { role } = req.body as { role: RoleInput & { id?: string } };
    requireMatchingId(role, role_id);
    const { id: _ignored, ...input } = role;
    return { role: roleView(req, await roles.update(role_id, input)) };
  });

  // Deleting a role also removes its grants and implications (see RoleStore.delete).
  app.delete('/v3/roles/:role_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { role_id } = req.params as { role_id: string };
    await enforceOnRole(req, role_id, 'delete');
    await roles.delete(role_id);
    return reply.code(204).send();
  });

  // ---- implied roles

  app.get('/v3/roles/:prior_role_id/implies', { schema: { params: PriorParam } }, async (req) => {
    const { prior_role_id } = req.params as { prior_role_id: string };
    const prior = await roles.get(prior_role_id);
    enforce(policy, req, 'identity:list_implied_roles', {
      target: { prior_role: { id: prior.id, name: prior.name, domain_id: prior.domainId } },
    });
    return inferenceView(req, prior, await roles.impliedBy(prior_role_id), `roles/${prior_role_id}/implies`);
  });

  // HEAD answers 204 (not GET's 200), so it is declared before GET takes the path.
  app.head('/v3/roles/:prior_role_id/implies/:implied_role_id', { schema: { params: ImplicationParam } }, async (req, reply) => {
    const p = req.params as ImplicationParams;
    const target = await implicationTarget(p);
    enforce(policy, req, 'identity:check_implied_role', target);
    enforce(policy, req, 'identity:get_implied_role', target);
    await roles.getImplication(p.prior_role_id, p.implied_role_id);
    return reply.code(204).send();
  });

  app.get('/v3/roles/:prior_role_id/implies/:implied_role_id', { schema: { params: ImplicationParam } }, async (req) => {
    const p = req.params as ImplicationParams;
    enforce(policy, req, 'identity:get_implied_role', await implicationTarget(p));
    const { prior, implied } = await roles.getImplication(p.prior_role_id, p.implied_role_id);
    return inferenceView(req, prior, implied, `roles/${prior.id}/implies/${implied.id}`);
  });

  app.put('/v3/roles/:prior_role_id/implies/:implied_role_id', { schema: { params: ImplicationParam } }, async (req, reply) => {
    const p = req.params as ImplicationParams;
    enforce(policy, req, 'identity:create_implied_role', await implicationTarget(p));
    const { prior, implied } = await roles.imply(p.prior_role_id, p.implied_role_id);
    return reply.code(201).send(inferenceView(req, prior, implied, `roles/${prior.id}/implies/${implied.id}`));
  });

  app.delete('/v3/roles/:prior_role_id/implies/:implied_role_id', { schema: { params: ImplicationParam } }, async (req, reply) => {
    const p = req.params as ImplicationParams;
    enforce(policy, req, 'identity:delete_implied_role', await implicationTarget(p));
    await roles.unimply(p.prior_role_id, p.implied_role_id);
    return reply.code(204).send();
  });

  app.get('/v3/role_inferences', async (req) => {
    enforce(policy, req, 'identity:list_role_inference_rules');
    const implications = await roles.allImplications();
    const ids = new Set<string>();
    for (const [prior, implied] of implications) [prior, ...implied].forEach((id) => ids.add(id));
    const byId = new Map((await roles.list({ ids: [...ids] })).map((r) => [r.id, r]));
    const inferences: Record<string, unknown>[] = [];
    for (const [priorId, impliedIds] of implications) {
      const prior = byId.get(priorId);
      if (!prior) continue;
      const implies = impliedIds.map((id) => byId.get(id)).filter((r): r is Role => r !== undefined);
      inferences.push({ prior_role: roleRefView(req, prior), implies: implies.map((r) => roleRefView(req, r)) });
    }
    return { role_inferences: inferences, links: selfLinks(req, 'role_inferences') };
  });
}
