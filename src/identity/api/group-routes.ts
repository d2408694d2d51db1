import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../lib/errors.js';
import type { GroupInput } from '../domain/group-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { callerDomainId, Description, IdString, requireMatchingId } from './domain-routes.js';
import { authOf, collectionLinks, enforce } from './route-helpers.js';
import { filterUsers, IdentityName, UserListQuery } from './user-routes.js';
import { groupView, userView } from './views.js';

const groupProps = {
  name: Type.Optional(IdentityName),
  domain_id: Type.Optional(IdString),
  description: Type.Optional(Description),
};
// Unknown attributes are kept as extras, as Keystone does; the wrapper is strict.
const GroupCreate = Type.Object(
  { group: Type.Object({ ...groupProps, name: IdentityName }, { additionalProperties: true }) },
  { additionalProperties: false },
);
const GroupUpdate = Type.Object(
  { group: Type.Object({ ...groupProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const IdParam = Type.Object({ group_id: Id });
const MemberParam = Type.Object({ group_id: Id, user_id: Id });
const ListQuery = Type.Object({ name: Type.Optional(Type.String()), domain_id: Type.Optional(Type.String()) });

/** /v3/groups and their members. */
export function registerGroupRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, groups, users, resources, assignments } = svc;
  const target = (id: string) => ({ target: { group: { id } } });
  const memberTarget = (groupId: string, userId: string) => ({ target: { group: { id: groupId }, user: { id: userId } } });

  app.get('/v3/groups', { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_groups');
    const q = req.query as { name?: string; domain_id?: string };
    // A domain-scoped caller sees its own domain's groups only, as in Keystone.
    const scope = authOf(req).domainId;
    const list = (await groups.list({ name: q.name, domainId: q.domain_id })).filter((g) => scope === undefined || g.domainId === scope);
    return { groups: list.map((g) => groupView(req, g)), links: collectionLinks(req) };
  });

  app.get('/v3/groups/:group_id', { schema: { params: IdParam } }, async (req) => {
    const { group_id } = req.params as { group_id: string };
    enforce(policy, req, 'identity:get_group', target(group_id));
    return { group: groupView(req, await groups.get(group_id)) };
  });

  app.post('/v3/groups', { schema: { body: GroupCreate } }, async (req, reply) => {
    const { group } = req.body as { group: GroupInput };
    enforce(policy, req, 'identity:create_group', { target: { group } });
    const domainId = group.domain_id ?? callerDomainId(req);
    await resources.getDomain(domainId);
    return reply.code(201).send({ group: groupView(req, await groups.create({ ...group, domain_id: domainId }, domainId)) });
  });

  app.patch('/v3/groups/:group_id', { schema: { params: IdParam, body: GroupUpdate } }, async (req) => {
    const { group_id } = req.params as { group_id: string };
    enforce(policy, req, 'identity:update_group', target(group_id));
    const { group } = req.body as { group: GroupInput & { id?: string } };
    requireMatchingId(group, group_id);
    return { group: groupView(req, await groups.update(group_id, group)) };
  });

  app.delete('/v3/groups/:group_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { group_id } = req.params as { group_id: string };
    enforce(policy, req, 'identity:delete_group', target(group_id));
    await groups.delete(group_id);
    return reply.code(204).send();
  });

  app.get('/v3/groups/:group_id/users', { schema: { params: IdParam, querystring: UserListQuery } }, async (req) => {
    const { group_id } = req.params as { group_id: string };
    enforce(policy, req, 'identity:list_users_in_group', target(group_id));
    await groups.get(group_id);
    const members = await users.list({ ids: await assignments.usersOfGroup(group_id) });
    return { users: filterUsers(req, members).map((u) => userView(req, u)), links: collectionLinks(req) };
  });

  app.put('/v3/groups/:group_id/users/:user_id', { schema: { params: MemberParam } }, async (req, reply) => {
    const { group_id, user_id } = req.params as { group_id: string; user_id: string };
    enforce(policy, req, 'identity:add_user_to_group', memberTarget(group_id, user_id));
    await groups.get(group_id);
    await users.get(user_id);
    await groups.addMember(group_id, user_id);
    return reply.code(204).send();
  });

  // Keystone answers HEAD only here: 204 for a member, 404 otherwise.
  app.head('/v3/groups/:group_id/users/:user_id', { schema: { params: MemberParam } }, async (req, reply) => {
    const { group_id, user_id } = req.params as { group_id: string; user_id: string };
    enforce(policy, req, 'identity:check_user_in_group', memberTarget(group_id, user_id));
    await groups.get(group_id);
    await users.get(user_id);
    if (!(await groups.isMember(group_id, user_id)))
      throw notFound(`User '${user_id}' not found in group '${group_id}'.`, 'membership_not_found');
    return reply.code(204).send();
  });

  app.delete('/v3/groups/:group_id/users/:user_id', { schema: { params: MemberParam } }, async (req, reply) => {
    const { group_id, user_id } = req.params as { group_id: string; user_id: string };
    enforce(policy, req, 'identity:remove_user_from_group', memberTarget(group_id, user_id));
    await groups.get(group_id);
    await users.get(user_id);
    await groups.removeMember(group_id, user_id);
    return reply.code(204).send();
  });
}
