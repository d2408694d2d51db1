import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { RoleAssignmentQuery, type AssignmentRef, type NamedRef } from '../domain/role-assignment-query.js';
import { authOf, collectionLinks, enforce, v3Url } from './route-helpers.js';

const Filter = Type.Optional(Type.String({ maxLength: 255 }));
const FILTERS = [
  'user.id',
  'group.id',
  'role.id',
  'scope.project.id',
  'scope.domain.id',
  'scope.system',
  'scope.OS-INHERIT:inherited_to',
] as const;
const ListQuery = Type.Object({
  ...Object.fromEntries(FILTERS.map((f) => [f, Filter])),
  effective: Filter,
  include_names: Filter,
  include_subtree: Filter,
});
type Query = Partial<Record<(typeof FILTERS)[number] | 'effective' | 'include_names' | 'include_subtree', string>>;

/** Keystone's query_filter_is_true: a present flag is true unless its value is "0". */
const flag = (v: string | undefined): boolean => v !== undefined && v !== '0';

/** The `{id[, name, domain]}` of one entity of an assignment. */
function entity(id: string, named: NamedRef | undefined): Record<string, unknown> {
  if (!named) return { id };
  return named.domain ? { id, name: named.name, domain: named.domain } : { id, name: named.name };
}

/**
 * One assignment as Keystone's _format_entity renders it: the entities, and
 * links to the grant it comes from (through a group, an inheriting domain or
 * project, or a prior role for derived effective assignments).
 */
export function assignmentView(req: FastifyRequest, a: AssignmentRef): Record<string, unknown> {
  const base = v3Url(req);
  const links: Record<string, string> = {};
  const scope: Record<string, unknown> = {};
  let path: string;
  let inherited = a.inherited;
  if (a.target === 'project') {
    scope.project = entity(a.targetId, a.names?.target);
    if (a.indirect.domainId) path = `/domains/${a.indirect.domainId}`;
    else if (a.indirect.projectId) path = `/projects/${a.indirect.projectId}`;
    else path = `/projects/${a.targetId}`;
    if (a.indirect.domainId || a.indirect.projectId) inherited = true;
  } else if (a.target === 'domain') {
    scope.domain = entity(a.targetId, a.names?.target);
    path = `/domains/${a.targetId}`;
  } else {
    scope.system = { all: true };
    path = '/system';
  }
  const view: Record<string, unknown> = { scope };
  if (a.actor === 'user') {
    view.user = entity(a.actorId, a.names?.actor);
    if (a.indirect.groupId) {
      links.membership = `${base}/groups/${a.indirect.groupId}/users/${a.actorId}`;
      path += `/groups/${a.indirect.groupId}`;
    } else path += `/users/${a.actorId}`;
  } else {
    view.group = entity(a.actorId, a.names?.actor);
    path += `/groups/${a.actorId}`;
  }
  view.role = entity(a.roleId, a.names?.role);
  // The assignment link names the grant actually made, i.e. the prior role. Keystone
  // renders the prior_role link with the two IDs in this (reversed) order; kept as is.
  path += `/roles/${a.indirect.roleId ?? a.roleId}`;
  if (inherited) {
    scope['OS-INHERIT:inherited_to'] = 'projects';
    path = `/OS-INHERIT${path}/inherited_to_projects`;
  }
  links.assignment = `${base}${path}`;
  if (a.indirect.roleId) links.prior_role = `${base}/prior_role/${a.roleId}/implies/${a.indirect.roleId}`;
  view.links = links;
  return view;
}

/** GET /v3/role_assignments */
export function registerRoleAssignmentRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, resources } = svc;
  const query = new RoleAssignmentQuery(svc);

  app.get('/v3/role_assignments', { schema: { querystring: ListQuery } }, async (req) => {
    const q = req.query as Query;
    const auth = authOf(req);
    // Filters are part of the policy target, as Keystone passes them (e.g. for `user_id:%(user.id)s` overrides).
    const filters = Object.fromEntries(FILTERS.filter((f) => q[f] !== undefined).map((f) => [f, q[f]]));
    const subtree = flag(q.include_subtree);
    if (subtree) {
      const projectId = q['scope.project.id'];
      const project = projectId ? await resources.getProject(projectId) : undefined;
      const target = project
        ? {
            project: { id: project.id, name: project.name, domain_id: project.domainId, parent_id: project.parentId },
            domain_id: project.domainId,
          }
        : {};
      enforce(policy, req, 'identity:list_role_assignments_for_tree', { ...filters, target });
      if (!project) {
        throw badRequest('scope.project.id must be specified if include_subtree is also specified', 'validation_error');
      }
    } else {
      enforce(policy, req, 'identity:list_role_assignments', { ...filters, target: auth.domainId ? { domain_id: auth.domainId } : {} });
    }
    const inheritedTo = q['scope.OS-INHERIT:inherited_to'];
    const inherited = inheritedTo === undefined ? undefined : inheritedTo === 'projects';
    const effective = flag(q.effective);
    RoleAssignmentQuery.validate({
      user: q['user.id'],
      group: q['group.id'],
      project: q['scope.project.id'],
      domain: q['scope.domain.id'],
      system: q['scope.system'],
      effective,
      inherited,
    });
    const refs = await query.list({
      userId: q['user.id'] || undefined,
      groupId: q['group.id'] || undefined,
      roleId: q['role.id'] || undefined,
      projectId: q['scope.project.id'] || undefined,
      domainId: q['scope.domain.id'] || undefined,
      system: q['scope.system'] === 'all',
      inherited,
      effective,
      includeSubtree: subtree,
      includeNames: flag(q.include_names),
      // The include_subtree form is authorised per project already; only the plain listing is narrowed.
      visibleDomainId: subtree ? undefined : auth.domainId,
    });
    return { role_assignments: refs.map((a) => assignmentView(req, a)), links: collectionLinks(req) };
  });
}
