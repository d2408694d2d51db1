import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import { parseTime } from '../../lib/time.js';
import type { IdentityServices } from '../domain/identity-services.js';
import type { User } from '../domain/models.js';
import type { UserInput } from '../domain/user-service.js';
import { callerDomainId, Description, IdString, requireMatchingId } from './domain-routes.js';
import { authOf, collectionLinks, enforce, queryBool } from './route-helpers.js';
import { groupView, projectView, userView } from './views.js';

/** Keystone's identity names: 1..255 characters, not only whitespace. */
export const IdentityName = Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' });

const nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
// A null option removes it (Keystone's resource-options registry).
const UserOptions = Type.Object(
  {
    ignore_change_password_upon_first_use: nullable(Type.Boolean()),
    ignore_password_expiry: nullable(Type.Boolean()),
    ignore_lockout_failure_attempts: nullable(Type.Boolean()),
    lock_password: nullable(Type.Boolean()),
    ignore_user_inactivity: nullable(Type.Boolean()),
    multi_factor_auth_enabled: nullable(Type.Boolean()),
    multi_factor_auth_rules: nullable(
      Type.Array(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { uniqueItems: true }), { uniqueItems: true }),
    ),
  },
  { additionalProperties: false },
);
const userProps = {
  name: Type.Optional(IdentityName),
  domain_id: Type.Optional(IdString),
  password: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
  default_project_id: nullable(IdString),
  description: Type.Optional(Description),
  options: Type.Optional(UserOptions),
};
// Unknown attributes (email, ...) are kept as extras, as Keystone does; the wrapper is strict.
const UserCreate = Type.Object(
  { user: Type.Object({ ...userProps, name: IdentityName }, { additionalProperties: true }) },
  { additionalProperties: false },
);
const UserUpdate = Type.Object(
  { user: Type.Object({ ...userProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
const PasswordChange = Type.Object(
  {
    user: Type.Object(
      { password: Type.String({ maxLength: 4096 }), original_password: Type.String({ maxLength: 4096 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const IdParam = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) });
const Q = Type.Optional(Type.String());
export const UserListQuery = Type.Object({ name: Q, domain_id: Q, enabled: Q, password_expires_at: Q });
const ProjectsQuery = Type.Object({ name: Q, domain_id: Q, enabled: Q });
const GroupsQuery = Type.Object({ name: Q });

const OPERATORS = ['lt', 'lte', 'gt', 'gte', 'eq', 'neq'] as const;

/**
 * Keystone's `password_expires_at={op}:{timestamp}` filter (op defaults to
 * eq, compared to the second); users without an expiry never match.
 */
export function passwordExpiryFilter(raw: string | undefined): (u: User) => boolean {
  if (raw === undefined) return () => true;
  const m = /^([a-z]+):(\d.*)$/.exec(raw);
  const op = m?.[1] ?? 'eq';
  if (!(OPERATORS as readonly string[]).includes(op))
    throw badRequest(`The given operator ${op} is not a valid operator.`, 'validation_error');
  const when = parseTime(m?.[2] ?? raw);
  if (!when)
    throw badRequest(
      'Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
      'validation_error',
    );
  const t = Math.floor(when.getTime() / 1000);
  return (u) => {
    if (!u.passwordExpiresAt) return false;
    const e = Math.floor(Date.parse(u.passwordExpiresAt) / 1000);
    switch (op) {
      case 'lt':
        return e < t;
      case 'lte':
        return e <= t;
      case 'gt':
        return e > t;
      case 'gte':
        return e >= t;
      case 'neq':
        return e !== t;
      default:
        return e === t;
    }
  };
}

/** Applies the user list filters to a list of users (used for /v3/users and /v3/groups/{id}/users). */
export function filterUsers(req: FastifyRequest, list: User[]): User[] {
  const q = req.query as { name?: string; domain_id?: string; enabled?: string; password_expires_at?: string };
  const enabled = queryBool(q.enabled);
  const expiry = passwordExpiryFilter(q.password_expires_at);
  const scope = authOf(req).domainId;
  return list.filter(
    (u) =>
      (q.name === undefined || u.name === q.name) &&
      (q.domain_id === undefined || u.domainId === q.domain_id) &&
      (enabled === undefined || u.enabled === enabled) &&
      // A domain-scoped caller sees its own domain's users only, as in Keystone.
      (scope === undefined || u.domainId === scope) &&
      expiry(u),
  );
}

/** /v3/users, their password, projects and groups. */
export function registerUserRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, users, resources, assignments, groups } = svc;
  const target = (id: string) => ({ target: { user: { id } } });

  /** Keystone refuses a domain as a user's default project. */
  async function checkDefaultProject(id: string | null | undefined): Promise<void> {
    if (id && (await resources.findDomain(id)))
      throw badRequest(`User's default project ID cannot be a domain ID: ${id}`, 'validation_error');
  }

  app.get('/v3/users', { schema: { querystring: UserListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_users');
    const q = req.query as { name?: string; domain_id?: string; enabled?: string };
    const list = await users.list({ name: q.name, domainId: q.domain_id, enabled: queryBool(q.enabled) });
    return { users: filterUsers(req, list).map((u) => userView(req, u)), links: collectionLinks(req) };
  });

  app.get('/v3/users/:user_id', { schema: { params: IdParam } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:get_user', target(user_id));
    return { user: userView(req, await users.get(user_id)) };
  });

  app.post('/v3/users', { schema: { body: UserCreate } }, async (req, reply) => {
    const { user } = req.body as { user: UserInput };
    enforce(policy, req, 'identity:create_user', { target: { user } });
    const domainId = user.domain_id ?? callerDomainId(req);
    await resources.getDomain(domainId);
    await checkDefaultProject(user.default_project_id);
    const created = await users.create({ ...user, domain_id: domainId }, domainId);
    return reply.code(201).send({ user: userView(req, created) });
  });

  app.patch('/v3/users/:user_id', { schema: { params: IdParam, body: UserUpdate } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:update_user', target(user_id));
    const { user } = req.body as { user: UserInput & { id?: string } };
    requireMatchingId(user, user_id);
    await checkDefaultProject(user.default_project_id);
    return { user: userView(req, await users.update(user_id, user)) };
  });

  app.delete('/v3/users/:user_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:delete_user', target(user_id));
    await users.delete(user_id);
    return reply.code(204).send();
  });

  // Public: a user whose password expired cannot get a token; the original password authenticates the change.
  app.post(
    '/v3/users/:user_id/password',
    { config: { public: true }, schema: { params: IdParam, body: PasswordChange } },
    async (req, reply) => {
      const { user_id } = req.params as { user_id: string };
      const { user } = req.body as { user: { password: string; original_password: string } };
      await users.changeOwnPassword(user_id, user.original_password, user.password);
      return reply.code(204).send();
    },
  );

  app.get('/v3/users/:user_id/projects', { schema: { params: IdParam, querystring: ProjectsQuery } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:list_user_projects', target(user_id));
    await users.get(user_id);
    const q = req.query as { name?: string; domain_id?: string; enabled?: string };
    const enabled = queryBool(q.enabled);
    const list = (await assignments.projectsOfUser(user_id)).filter(
      (p) =>
        (q.name === undefined || p.name === q.name) &&
        (q.domain_id === undefined || p.domainId === q.domain_id) &&
        (enabled === undefined || p.enabled === enabled),
    );
    return { projects: list.map((p) => projectView(req, p)), links: collectionLinks(req) };
  });

  app.get('/v3/users/:user_id/groups', { schema: { params: IdParam, querystring: GroupsQuery } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:list_groups_for_user', target(user_id));
    await users.get(user_id);
    const q = req.query as { name?: string };
    const list = await groups.list({ ids: await assignments.groupsOfUser(user_id), name: q.name });
    // Keystone adds the membership expiry (set only for federated memberships).
    return { groups: list.map((g) => ({ ...groupView(req, g), membership_expires_at: null })), links: collectionLinks(req) };
  });
}
