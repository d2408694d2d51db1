import { badRequest } from '../../lib/errors.js';
import type { AssignmentRow, AssignmentType } from '../store/schema.js';
import { grantOf, type ActorKind, type AssignmentService, type Grant } from './assignment-service.js';
import type { GroupService } from './group-service.js';
import type { Role } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { RoleService } from './role-service.js';
import type { UserService } from './user-service.js';

/** The filters of GET /v3/role_assignments, already parsed. */
export interface AssignmentQuery {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  domainId?: string;
  /** scope.system=all; any other value of scope.system is no filter, as in Keystone. */
  system?: boolean;
  /** scope.OS-INHERIT:inherited_to: true for "projects", false for anything else, undefined when absent. */
  inherited?: boolean;
  effective?: boolean;
  includeSubtree?: boolean;
  includeNames?: boolean;
  /** A domain-scoped caller sees only assignments on its domain and the projects in it. */
  visibleDomainId?: string;
}

/** Where an effective assignment came from (Keystone's `indirect`). */
export interface Indirect {
  /** Membership of this group. */
  groupId?: string;
  /** An inherited assignment on this ancestor project. */
  projectId?: string;
  /** An inherited assignment on this domain. */
  domainId?: string;
  /** Implied by this prior role. */
  roleId?: string;
}

export interface NamedRef {
  name: string;
  domain?: { id: string; name: string };
}

/** One role assignment, direct or derived, with names when asked for. */
export interface AssignmentRef extends Grant {
  indirect: Indirect;
  names?: { actor: NamedRef; target?: NamedRef; role: NamedRef };
}

const USER_TYPES: AssignmentType[] = ['UserProject', 'UserDomain'];
const GROUP_TYPES: AssignmentType[] = ['GroupProject', 'GroupDomain'];

function refOf(row: AssignmentRow): AssignmentRef {
  const g = grantOf(row);
  return {
    actor: g.actor,
    actorId: g.actorId,
    target: g.target,
    targetId: g.targetId,
    roleId: g.roleId,
    inherited: g.inherited,
    indirect: {},
  };
}

/** Project/domain assignment types for an actor kind (both when undefined), narrowed to one target kind. */
function typesFor(actor: ActorKind | undefined, target?: 'project' | 'domain'): AssignmentType[] {
  const base = actor === 'user' ? USER_TYPES : actor === 'group' ? GROUP_TYPES : [...USER_TYPES, ...GROUP_TYPES];
  return target === undefined ? base : base.filter((t) => t.endsWith(target === 'project' ? 'Project' : 'Domain'));
}

function systemTypes(actor: ActorKind | undefined): AssignmentType[] {
  return actor === 'user' ? ['UserSystem'] : actor === 'group' ? ['GroupSystem'] : ['UserSystem', 'GroupSystem'];
}

/** Whom to list assignments for: one user, some groups, or everybody. */
type Actors = { kind: 'user'; ids: string[] } | { kind: 'group'; ids: string[] } | { kind: 'any' };

export interface RoleAssignmentQueryDeps {
  assignments: AssignmentService;
  roles: RoleService;
  resources: ResourceService;
  users: UserService;
  groups: GroupService;
}

/**
 * GET /v3/role_assignments as Keystone computes it: the direct assignments
 * matching the filters or, in effective mode, what they add up to for users
 * (group grants expanded to members, inherited grants to the projects below,
 * prior roles to the roles they imply, domain-specific roles dropped).
 */
export class RoleAssignmentQuery {
  readonly #d: RoleAssignmentQueryDeps;

  constructor(deps: RoleAssignmentQueryDeps) {
    this.#d = deps;
  }

  /** Keystone's 400s for filter combinations that make no sense. */
  static validate(raw: {
    user?: string;
    group?: string;
    project?: string;
    domain?: string;
    system?: string;
    effective: boolean;
    inherited?: boolean;
  }): void {
    if (raw.domain && raw.project) throw badRequest('Specify a domain or project, not both', 'validation_error');
    if (raw.domain && raw.system) throw badRequest('Specify system or domain, not both', 'validation_error');
    if (raw.project && raw.system) throw badRequest('Specify system or project, not both', 'validation_error');
    if (raw.user && raw.group) throw badRequest('Specify a user or group, not both', 'validation_error');
    if (raw.effective && raw.group) {
      throw badRequest('Combining effective and group filter will always result in an empty list.', 'validation_error');
    }
    if (raw.effective && raw.inherited === true && raw.domain) {
      throw badRequest('Combining effective, domain and inherited filters will always result in an empty list.', 'validation_error');
    }
  }

  async list(q: AssignmentQuery): Promise<AssignmentRef[]> {
    let subtreeIds: string[] | undefined;
    if (q.projectId && q.includeSubtree) {
      const project = await this.#d.resources.getProject(q.projectId);
      subtreeIds = (await this.#d.resources.subtree(project)).map((p) => p.id);
    }
    let refs = q.effective ? await this.#effective(q, subtreeIds) : await this.#direct(q, subtreeIds);
    if (q.visibleDomainId !== undefined) refs = await this.#inDomain(refs, q.visibleDomainId);
    return q.includeNames ? this.#withNames(refs) : refs;
  }

  // ---- direct listing

  async #direct(q: AssignmentQuery, subtreeIds: string[] | undefined): Promise<AssignmentRef[]> {
    const { assignments } = this.#d;
    const actor: ActorKind | undefined = q.userId ? 'user' : q.groupId ? 'group' : undefined;
    const actorIds = q.userId ? [q.userId] : q.groupId ? [q.groupId] : undefined;
    const refs: AssignmentRef[] = [];
    if (!q.system) {
      const target = q.projectId ? 'project' : q.domainId ? 'domain' : undefined;
      const targetIds = q.projectId ? [q.projectId, ...(subtreeIds ?? [])] : q.domainId ? [q.domainId] : undefined;
      const rows = await assignments.list({
        types: typesFor(actor, target),
        actorIds,
        targetIds,
        roleId: q.roleId,
        inherited: q.inherited,
      });
      refs.push(...rows.map(refOf));
    }
    // System grants are never inherited, so an inherited_to filter excludes them.
    if ((q.system || (!q.projectId && !q.domainId)) && q.inherited !== true) {
      const rows = await assignments.list({ types: systemTypes(actor), actorIds, roleId: q.roleId });
      refs.push(...rows.map(refOf));
    }
    return refs;
  }

  // ---- effective listing

  async #effective(q: AssignmentQuery, subtreeIds: string[] | undefined): Promise<AssignmentRef[]> {
    if (q.groupId || (q.domainId && q.inherited === true)) return [];
    const groupIds = q.userId ? await this.#d.assignments.groupsOfUser(q.userId) : [];
    let refs: AssignmentRef[];
    if (q.system) {
      refs = await this.#systemRefs(q.userId, groupIds);
    } else {
      // Domains inherit nothing, so a domain filter means non-inherited assignments only.
      const inherited = q.domainId ? false : q.inherited;
      const direct = await this.#forActors(q.userId ? { kind: 'user', ids: [q.userId] } : { kind: 'any' }, inherited, q, subtreeIds);
      const viaGroups = groupIds.length > 0 ? await this.#forActors({ kind: 'group', ids: groupIds }, inherited, q, subtreeIds) : [];
      refs = [];
      for (const r of [...direct, ...viaGroups]) refs.push(...(await this.#expand(r, q.userId, q.projectId, subtreeIds)));
    }
    refs = await this.#addImplied(refs);
    refs = await this.#stripDomainRoles(refs);
    return q.roleId === undefined ? refs : refs.filter((r) => r.roleId === q.roleId);
  }

  /** Effective system assignments: the user's own and its groups', or everybody's. */
  async #systemRefs(userId: string | undefined, groupIds: string[]): Promise<AssignmentRef[]> {
    const { assignments } = this.#d;
    const own = await assignments.list({ types: systemTypes(userId ? 'user' : undefined), actorIds: userId ? [userId] : undefined });
    const viaGroups = userId && groupIds.length > 0 ? await assignments.list({ types: ['GroupSystem'], actorIds: groupIds }) : [];
    const out: AssignmentRef[] = [];
    for (const r of [...own, ...viaGroups].map(refOf)) out.push(...(r.actor === 'group' ? await this.#expandGroup(r, userId) : [r]));
    return out;
  }

  /**
   * The assignments of some actors that can affect the projects or domain of
   * interest: direct ones, and inherited ones from the project's domain and
   * ancestors (or from anywhere when no project is given).
   */
  async #forActors(
    actors: Actors,
    inherited: boolean | undefined,
    q: AssignmentQuery,
    subtreeIds: string[] | undefined,
  ): Promise<AssignmentRef[]> {
    const { assignments, resources } = this.#d;
    const kind = actors.kind === 'any' ? undefined : actors.kind;
    const actorIds = actors.kind === 'any' ? undefined : actors.ids;
    const ofInterest = q.projectId ? [q.projectId, ...(subtreeIds ?? [])] : undefined;
    const rows: AssignmentRow[] = [];
    if (inherited !== true) {
      const target = q.projectId ? 'project' : q.domainId ? 'domain' : undefined;
      const targetIds = ofInterest ?? (q.domainId ? [q.domainId] : undefined);
      rows.push(...(await assignments.list({ types: typesFor(kind, target), actorIds, targetIds, inherited: false })));
    }
    if (inherited !== false) {
      if (q.projectId) {
        const project = await resources.getProject(q.projectId);
        rows.push(
          ...(await assignments.list({ types: typesFor(kind, 'domain'), actorIds, targetIds: [project.domainId], inherited: true })),
        );
        // A project inherits from its ancestors; with a subtree, the subtree's own inherited grants count too.
        const sources = (await resources.parents(project)).map((p) => p.id);
        if (subtreeIds) sources.push(...(ofInterest ?? []));
        if (sources.length > 0) {
          rows.push(...(await assignments.list({ types: typesFor(kind, 'project'), actorIds, targetIds: sources, inherited: true })));
        }
      } else {
        rows.push(...(await assignments.list({ types: typesFor(kind), actorIds, inherited: true })));
      }
    }
    return rows.map(refOf);
  }

  /** Replaces a group or inherited assignment by the user-on-project assignments it amounts to. */
  async #expand(
    ref: AssignmentRef,
    userId: string | undefined,
    projectId: string | undefined,
    subtreeIds: string[] | undefined,
  ): Promise<AssignmentRef[]> {
    if (ref.inherited) {
      const projectIds = await this.#inheritingProjects(ref, projectId, subtreeIds);
      const bases = ref.actor === 'group' ? await this.#expandGroup(ref, userId) : [ref];
      const source: Indirect = ref.target === 'project' ? { projectId: ref.targetId } : { domainId: ref.targetId };
      const out: AssignmentRef[] = [];
      for (const base of bases) {
        for (const id of projectIds) {
          out.push({ ...base, target: 'project', targetId: id, inherited: false, indirect: { ...base.indirect, ...source } });
        }
      }
      return out;
    }
    if (ref.actor === 'group') return this.#expandGroup(ref, userId);
    return [ref];
  }

  /** The projects an inherited assignment applies to, narrowed to those of interest. */
  async #inheritingProjects(ref: AssignmentRef, projectId: string | undefined, subtreeIds: string[] | undefined): Promise<string[]> {
    const { resources } = this.#d;
    const below = async (id: string): Promise<string[]> => {
      const p = await resources.findProject(id);
      return p ? (await resources.subtree(p)).map((c) => c.id) : [];
    };
    if (projectId) {
      const ids = [projectId, ...(subtreeIds ?? [])];
      // An inherited grant inside the subtree reaches only the part below it.
      if (subtreeIds && ref.target === 'project' && ids.includes(ref.targetId)) return below(ref.targetId);
      return ids;
    }
    if (ref.target === 'domain') return (await resources.listProjects({ domainId: ref.targetId })).map((p) => p.id);
    return below(ref.targetId);
  }

  async #expandGroup(ref: AssignmentRef, userId: string | undefined): Promise<AssignmentRef[]> {
    const members = userId ? [userId] : await this.#d.assignments.usersOfGroup(ref.actorId);
    return members.map((u) => ({ ...ref, actor: 'user' as const, actorId: u, indirect: { ...ref.indirect, groupId: ref.actorId } }));
  }

  /** Adds a copy of each assignment for every role its role implies, transitively. */
  async #addImplied(refs: AssignmentRef[]): Promise<AssignmentRef[]> {
    const implications = await this.#d.roles.allImplications();
    const out = [...refs];
    const stack = [...refs];
    const seen = new Set(refs.map(refKey));
    while (stack.length > 0) {
      const ref = stack.pop() as AssignmentRef;
      for (const implied of implications.get(ref.roleId) ?? []) {
        const copy: AssignmentRef = { ...ref, roleId: implied, indirect: { ...ref.indirect, roleId: ref.roleId } };
        const key = refKey(copy);
        if (seen.has(key)) continue; // a cycle
        seen.add(key);
        out.push(copy);
        stack.push(copy);
      }
    }
    return out;
  }

  /** Domain-specific roles only imply other roles; they never show as effective assignments. */
  async #stripDomainRoles(refs: AssignmentRef[]): Promise<AssignmentRef[]> {
    const roles = await this.#d.roles.list({ ids: [...new Set(refs.map((r) => r.roleId))] });
    const global = new Set(roles.filter((r) => r.domainId === null).map((r) => r.id));
    return refs.filter((r) => global.has(r.roleId));
  }

  async #inDomain(refs: AssignmentRef[], domainId: string): Promise<AssignmentRef[]> {
    const projectDomain = new Map<string, string | undefined>();
    const out: AssignmentRef[] = [];
    for (const r of refs) {
      if (r.target === 'domain' && r.targetId === domainId) out.push(r);
      else if (r.target === 'project') {
        if (!projectDomain.has(r.targetId)) projectDomain.set(r.targetId, (await this.#d.resources.findProject(r.targetId))?.domainId);
        if (projectDomain.get(r.targetId) === domainId) out.push(r);
      }
    }
    return out;
  }

  // ---- include_names

  async #withNames(refs: AssignmentRef[]): Promise<AssignmentRef[]> {
    const { users, groups, resources } = this.#d;
    const cache = new Map<string, NamedRef | undefined>();
    const memo = async (key: string, load: () => Promise<NamedRef | undefined>): Promise<NamedRef | undefined> => {
      if (!cache.has(key)) cache.set(key, await load());
      return cache.get(key);
    };
    const domainName = async (id: string): Promise<string> =>
      (
        await memo(`domain:${id}`, async () => {
          const d = await resources.findDomain(id);
          return d && { name: d.name };
        })
      )?.name ?? '';
    // A dangling actor (e.g. gone from an external backend) is named '' as in Keystone.
    const blank: NamedRef = { name: '', domain: { id: '', name: '' } };
    const actorName = (ref: AssignmentRef) =>
      memo(`${ref.actor}:${ref.actorId}`, async () => {
        const e = ref.actor === 'user' ? await users.find(ref.actorId) : await groups.find(ref.actorId);
        return e ? { name: e.name, domain: { id: e.domainId, name: await domainName(e.domainId) } } : blank;
      });
    const targetName = (ref: AssignmentRef) =>
      memo(`${ref.target}:${ref.targetId}`, async () => {
        if (ref.target === 'project') {
          const p = await resources.findProject(ref.targetId);
          return p
            ? { name: p.name, domain: { id: p.domainId, name: await domainName(p.domainId) } }
            : { name: '', domain: { id: '', name: '' } };
        }
        return ref.target === 'domain' ? { name: await domainName(ref.targetId) } : undefined;
      });
    const roleName = (id: string) =>
      memo(`role:${id}`, async () => {
        const r: Role | undefined = await this.#d.roles.find(id);
        if (!r) return { name: '' };
        return r.domainId === null ? { name: r.name } : { name: r.name, domain: { id: r.domainId, name: await domainName(r.domainId) } };
      });
    const out: AssignmentRef[] = [];
    for (const ref of refs) {
      const actor = (await actorName(ref)) ?? blank;
      const role = (await roleName(ref.roleId)) ?? { name: '' };
      out.push({ ...ref, names: { actor, target: await targetName(ref), role } });
    }
    return out;
  }
}

function refKey(r: AssignmentRef): string {
  return JSON.stringify([
    r.actor,
    r.actorId,
    r.target,
    r.targetId,
    r.roleId,
    r.indirect.groupId,
    r.indirect.projectId,
    r.indirect.domainId,
    r.indirect.roleId,
  ]);
}
