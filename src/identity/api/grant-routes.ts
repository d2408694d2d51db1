import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKumoError } from '../../lib/errors.js';
import type { ActorKind, Grant, TargetKind } from '../domain/assignment-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { collectionLinks, enforce } from './route-helpers.js';
import { roleView } from './views.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });

/** One family of grant URLs: where the target sits in the path and whether grants are inherited. */
interface Family {
  /** Path up to the actor segment, e.g. "/v3/projects/:project_id". */
  prefix: string;
  /** Name of the target's path parameter; none for the system. */
  param?: 'project_id' | 'domain_id';
  target: TargetKind;
  inherited: boolean;
  /** "/inherited_to_projects" for OS-INHERIT, else "". */
  suffix: string;
}

const FAMILIES: Family[] = [
  { prefix: '/v3/projects/:project_id', param: 'project_id', target: 'project', inherited: false, suffix: '' },
  { prefix: '/v3/domains/:domain_id', param: 'domain_id', target: 'domain', inherited: false, suffix: '' },
  {
    prefix: '/v3/OS-INHERIT/projects/:project_id',
    param: 'project_id',
    target: 'project',
    inherited: true,
    suffix: '/inherited_to_projects',
  },
  { prefix: '/v3/OS-INHERIT/domains/:domain_id', param: 'domain_id', target: 'domain', inherited: true, suffix: '/inherited_to_projects' },
  { prefix: '/v3/system', target: 'system', inherited: false, suffix: '' },
];
const ACTORS: ActorKind[] = ['user', 'group'];

type Params = { target_id?: string; actor_id: string; role_id?: string };
type Action = 'create' | 'check' | 'list' | 'revoke';

/**
 * Keystone's rule names: identity:<action>_grant for projects and domains,
 * identity:<action>_system_grant_for_<actor> for the system.
 */
function ruleName(action: Action, target: TargetKind, actor: ActorKind): string {
  if (target === 'system') return `identity:${action === 'list' ? 'list_system_grants' : `${action}_system_grant`}_for_${actor}`;
  return `identity:${action === 'list' ? 'list_grants' : `${action}_grant`}`;
}

/** Grants of roles to users and groups on projects, domains and the system, inherited or not. */
export function registerGrantRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, roles, users, groups, resources, assignments } = svc;

  /**
   * Looks up everything the path names (404 when missing, in Keystone's order:
   * role, actor, target) and builds the policy target from it. A revoke may
   * name an actor that no longer exists, so its grants can still be cleaned up.
   */
  async function grantTarget(fam: Family, actor: ActorKind, p: Params, allowMissingActor = false): Promise<Record<string, unknown>> {
    const t: Record<string, unknown> = {};
    if (p.role_id !== undefined) {
      const r = await roles.get(p.role_id);
      t.role = { id: r.id, name: r.name, domain_id: r.domainId };
    }
    try {
      const a = actor === 'user' ? await users.get(p.actor_id) : await groups.get(p.actor_id);
      t[actor] = { id: a.id, name: a.name, domain_id: a.domainId };
    } catch (e) {
      if (!(allowMissingActor && isKumoError(e) && e.status === 404)) throw e;
    }
    if (fam.target === 'project') {
      const pr = await resources.getProject(p.target_id as string);
      t.project = { id: pr.id, name: pr.name, domain_id: pr.domainId, parent_id: pr.parentId };
    } else if (fam.target === 'domain') {
      const d = await resources.getDomain(p.target_id as string);
      t.domain = { id: d.id, name: d.name };
    }
    return { target: t };
  }

  const grantOf = (fam: Family, actor: ActorKind, p: Params): Grant => ({
    actor,
    actorId: p.actor_id,
    target: fam.target,
    targetId: fam.target === 'system' ? 'all' : (p.target_id as string),
    roleId: p.role_id as string,
    inherited: fam.inherited,
  });

  for (const fam of FAMILIES) {
    for (const actor of ACTORS) {
      const actorParam = `${actor}_id`;
      const base = `${fam.prefix}/${actor}s/:${actorParam}/roles`;
      const member = `${base}/:role_id${fam.suffix}`;
      const list = `${base}${fam.suffix}`;
      const ids = fam.param ? { [fam.param]: Id, [actorParam]: Id } : { [actorParam]: Id };
      const MemberParams = Type.Object({ ...ids, role_id: Id });
      const ListParams = Type.Object(ids);
      const params = (req: FastifyRequest): Params => {
        const raw = req.params as Record<string, string>;
        return { target_id: fam.param && raw[fam.param], actor_id: raw[actorParam] as string, role_id: raw.role_id };
      };

      app.put(member, { schema: { params: MemberParams } }, async (req, reply) => {
        const p = params(req);
        enforce(policy, req, ruleName('create', fam.target, actor), await grantTarget(fam, actor, p));
        await assignments.grant(grantOf(fam, actor, p));
        return reply.code(204).send();
      });

      // Keystone answers a grant check with 204 on both GET and HEAD.
      app.route({
        method: ['GET', 'HEAD'],
        url: member,
        schema: { params: MemberParams },
        handler: async (req, reply) => {
          const p = params(req);
          enforce(policy, req, ruleName('check', fam.target, actor), await grantTarget(fam, actor, p));
          await assignments.check(grantOf(fam, actor, p));
          return reply.code(204).send();
        },
      });

      app.delete(member, { schema: { params: MemberParams } }, async (req, reply) => {
        const p = params(req);
        enforce(policy, req, ruleName('revoke', fam.target, actor), await grantTarget(fam, actor, p, true));
        await assignments.revoke(grantOf(fam, actor, p));
        return reply.code(204).send();
      });

      app.get(list, { schema: { params: ListParams } }, async (req) => {
        const p = params(req);
        enforce(policy, req, ruleName('list', fam.target, actor), await grantTarget(fam, actor, p));
        const targetId = fam.target === 'system' ? 'all' : (p.target_id as string);
        const granted = await assignments.listGrantRoles(actor, p.actor_id, fam.target, targetId, fam.inherited);
        return { roles: granted.map((r) => roleView(req, r)), links: collectionLinks(req) };
      });
    }
  }
}
