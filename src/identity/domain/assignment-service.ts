import { badRequest, forbidden, notFound } from '../../lib/errors.js';
import { AssignmentStore, type AssignmentFilter } from '../store/assignment-store.js';
import type { AssignmentRow, AssignmentType } from '../store/schema.js';
import type { IdentityContext } from './identity-context.js';
import type { Project, Role, RoleRef } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { RoleService } from './role-service.js';

export type ActorKind = 'user' | 'group';
export type TargetKind = 'project' | 'domain' | 'system';

export interface Grant {
  actor: ActorKind;
  actorId: string;
  target: TargetKind;
  /** Project or domain ID; 'all' for the system. */
  targetId: string;
  roleId: string;
  inherited: boolean;
}

export const SYSTEM_TARGET = 'system';

export function assignmentType(actor: ActorKind, target: TargetKind): AssignmentType {
  const a = actor === 'user' ? 'User' : 'Group';
  const t = target === 'project' ? 'Project' : target === 'domain' ? 'Domain' : 'System';
  return `${a}${t}` as AssignmentType;
}

export function grantOf(row: AssignmentRow): Grant {
  const actor: ActorKind = row.type.startsWith('User') ? 'user' : 'group';
  const target: TargetKind = row.type.endsWith('Project') ? 'project' : row.type.endsWith('Domain') ? 'domain' : 'system';
  return {
    actor,
    actorId: row.actor_id,
    target,
    targetId: target === 'system' ? 'all' : row.target_id,
    roleId: row.role_id,
    inherited: row.inherited === 1 || (row.inherited as unknown) === true,
  };
}

function rowOf(g: Grant): AssignmentRow {
  return {
    type: assignmentType(g.actor, g.target),
    actor_id: g.actorId,
    target_id: g.target === 'system' ? SYSTEM_TARGET : g.targetId,
    role_id: g.roleId,
    inherited: g.inherited ? 1 : 0,
  };
}

/** Role assignments and the effective roles they add up to. */
export class AssignmentService {
  readonly #store: AssignmentStore;
  readonly #ctx: IdentityContext;
  readonly #roles: RoleService;
  readonly #resources: ResourceService;

  constructor(ctx: IdentityContext, roles: RoleService, resources: ResourceService) {
    this.#ctx = ctx;
    this.#store = new AssignmentStore(ctx.db);
    this.#roles = roles;
    this.#resources = resources;
  }

  async grant(g: Grant): Promise<void> {
    // A domain-specific role applies only inside its domain, and never to the system (as in Keystone).
    const role = await this.#roles.get(g.roleId);
    if (role.domainId !== null) {
      if (g.target === 'system') {
        throw badRequest(
          `Role ${role.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`,
          'validation_error',
        );
      }
      if (g.target === 'project' && (await this.#resources.getProject(g.targetId)).domainId !== role.domainId) {
        throw forbidden(
          `Project ${g.targetId} must be in the same domain as the role ${role.id} being assigned.`,
          'domain_specific_role_mismatch',
        );
      }
    }
    await this.#store.add(rowOf(g));
    this.#ctx.revision.bump();
  }

  async revoke(g: Grant): Promise<void> {
    const n = await this.#store.remove(rowOf(g));
    if (n === 0)
      throw notFound(
        `Could not find role assignment with role: ${g.roleId}, ${g.actor}: ${g.actorId}, ${g.target}: ${g.targetId}.`,
        'role_assignment_not_found',
      );
    this.#ctx.revision.bump();
  }

  async check(g: Grant): Promise<void> {
    const rows = await this.#store.list({
      types: [assignmentType(g.actor, g.target)],
      actorIds: [g.actorId],
      targetIds: [rowOf(g).target_id],
      roleId: g.roleId,
      inherited: g.inherited,
    });
    if (rows.length === 0)
      throw notFound(
        `Could not find role assignment with role: ${g.roleId}, ${g.actor}: ${g.actorId}, ${g.target}: ${g.targetId}.`,
        'role_assignment_not_found',
      );
  }

  /** Roles granted directly to one actor on one target (the grants API). */
  async listGrantRoles(actor: ActorKind, actorId: string, target: TargetKind, targetId: string, inherited: boolean): Promise<Role[]> {
    const rows = await this.#store.list({
      types: [assignmentType(actor, target)],
      actorIds: [actorId],
      targetIds: [target === 'system' ? SYSTEM_TARGET : targetId],
      inherited,
    });
    return this.#roles.list({ ids: rows.map((r) => r.role_id) });
  }

  list(filter: AssignmentFilter): Promise<AssignmentRow[]> {
    return this.#store.list(filter);
  }

  groupsOfUser(userId: string): Promise<string[]> {
    return this.#store.groupsOfUser(userId);
  }

  usersOfGroup(groupId: string): Promise<string[]> {
    return this.#store.usersOfGroup(groupId);
  }

  async actorDeleted(actorId: string): Promise<void> {
    await this.#store.removeForActor(actorId);
    this.#ctx.revision.bump();
  }

  async targetDeleted(targetId: string): Promise<void> {
    await this.#store.removeForTarget(targetId);
    this.#ctx.revision.bump();
  }

  /**
   * Role IDs a user holds on a project, before implication: direct and group
   * grants on the project, inherited grants on its domain and ancestors.
   */
  async directRoleIdsOnProject(userId: string, project: Project): Promise<string[]> {
    const actors = [userId, ...(await this.#store.groupsOfUser(userId))];
    const ancestors = (await this.#resources.parents(project)).map((p) => p.id);
    const rows = await this.#store.list({ actorIds: actors, targetIds: [project.id, project.domainId, ...ancestors] });
    const ids = new Set<string>();
    for (const r of rows) {
      const inherited = r.inherited === 1 || (r.inherited as unknown) === true;
      const onProject = r.type.endsWith('Project');
      if (r.target_id === project.id && onProject && !inherited) ids.add(r.role_id);
      else if (r.target_id === project.domainId && r.type.endsWith('Domain') && inherited) ids.add(r.role_id);
      else if (onProject && inherited && ancestors.includes(r.target_id)) ids.add(r.role_id);
    }
    return [...ids];
  }

  async directRoleIdsOnDomain(userId: string, domainId: string): Promise<string[]> {
    const actors = [userId, ...(await this.#store.groupsOfUser(userId))];
    const rows = await this.#store.list({
      types: ['UserDomain', 'GroupDomain'],
      actorIds: actors,
      targetIds: [domainId],
      inherited: false,
    });
    return [...new Set(rows.map((r) => r.role_id))];
  }

  async directRoleIdsOnSystem(userId: string): Promise<string[]> {
    const actors = [userId, ...(await this.#store.groupsOfUser(userId))];
    const rows = await this.#store.list({ types: ['UserSystem', 'GroupSystem'], actorIds: actors, targetIds: [SYSTEM_TARGET] });
    return [...new Set(rows.map((r) => r.role_id))];
  }

  /**
   * Effective roles (implied roles included) as the token shows them;
   * domain-specific roles only imply others and are left out, as in Keystone.
   */
  async effectiveRoles(directIds: string[]): Promise<RoleRef[]> {
    if (directIds.length === 0) return [];
    const all = await this.#roles.expand(directIds);
    const roles = await this.#roles.list({ ids: all });
    return roles.filter((r) => r.domainId === null).map((r) => ({ id: r.id, name: r.name }));
  }

  async rolesOnProject(userId: string, project: Project): Promise<RoleRef[]> {
    return this.effectiveRoles(await this.directRoleIdsOnProject(userId, project));
  }

  async rolesOnDomain(userId: string, domainId: string): Promise<RoleRef[]> {
    return this.effectiveRoles(await this.directRoleIdsOnDomain(userId, domainId));
  }

  async rolesOnSystem(userId: string): Promise<RoleRef[]> {
    return this.effectiveRoles(await this.directRoleIdsOnSystem(userId));
  }

  /** Projects on which the user has at least one role (directly, by group or by inheritance). */
  async projectsOfUser(userId: string): Promise<Project[]> {
    const actors = [userId, ...(await this.#store.groupsOfUser(userId))];
    const rows = await this.#store.list({ actorIds: actors });
    const ids = new Set<string>();
    for (const r of rows) {
      const inherited = r.inherited === 1 || (r.inherited as unknown) === true;
      if (r.type.endsWith('Project')) {
        if (!inherited) ids.add(r.target_id);
        else {
          const p = await this.#resources.findProject(r.target_id);
          if (p) for (const c of await this.#resources.subtree(p)) ids.add(c.id);
        }
      } else if (r.type.endsWith('Domain') && inherited) {
        for (const p of await this.#resources.listProjects({ domainId: r.target_id })) ids.add(p.id);
      }
    }
    return this.#resources.listProjects({ ids: [...ids] });
  }

  /** Domains on which the user has a role directly or by group. */
  async domainIdsOfUser(userId: string): Promise<string[]> {
    const actors = [userId, ...(await this.#store.groupsOfUser(userId))];
    const rows = await this.#store.list({ types: ['UserDomain', 'GroupDomain'], actorIds: actors, inherited: false });
    return [...new Set(rows.map((r) => r.target_id))];
  }
}
