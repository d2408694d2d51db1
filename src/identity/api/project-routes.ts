import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import { requestBaseUrl } from '../../lib/http/app.js';
import type { IdentityServices } from '../domain/identity-services.js';
import type { Domain, Project } from '../domain/models.js';
import type { ProjectInput } from '../domain/resource-service.js';
import {
  callerDomainId,
  deleteDomainCascade,
  Description,
  IdString,
  requireMatchingId,
  ResourceName,
  TagList,
  TagName,
} from './domain-routes.js';
import { authOf, collectionLinks, enforce, queryBool, selfLinks } from './route-helpers.js';
import { projectView } from './views.js';

const projectProps = {
  name: Type.Optional(ResourceName),
  description: Type.Optional(Description),
  domain_id: Type.Optional(Type.Union([IdString, Type.Null()])),
  parent_id: Type.Optional(Type.Union([IdString, Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
  is_domain: Type.Optional(Type.Boolean()),
  tags: Type.Optional(TagList),
  options: Type.Optional(Type.Object({})),
};
// Unknown attributes are kept as extras (Keystone does), but the wrapper is strict.
const ProjectCreate = Type.Object(
  { project: Type.Object({ ...projectProps, name: ResourceName }, { additionalProperties: true }) },
  { additionalProperties: false },
);
const ProjectUpdate = Type.Object(
  { project: Type.Object({ ...projectProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
const TagsUpdate = Type.Object({ tags: TagList });
const IdParam = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 64 }) });
const TagParam = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 64 }), tag: TagName });
const Flag = Type.Optional(Type.String());
const ListQuery = Type.Object({
  domain_id: Flag,
  enabled: Flag,
  name: Flag,
  parent_id: Flag,
  is_domain: Flag,
  tags: Flag,
  'tags-any': Flag,
  'not-tags': Flag,
  'not-tags-any': Flag,
});
const ShowQuery = Type.Object({ parents_as_list: Flag, parents_as_ids: Flag, subtree_as_list: Flag, subtree_as_ids: Flag });

type ListQueryT = Partial<
  Record<'domain_id' | 'enabled' | 'name' | 'parent_id' | 'is_domain' | 'tags' | 'tags-any' | 'not-tags' | 'not-tags-any', string>
>;
type Nested = { [id: string]: Nested | null };

/** A domain seen through the projects API, as Keystone renders a project acting as a domain. */
export function domainAsProjectView(req: FastifyRequest, d: Domain): Record<string, unknown> {
  return {
    ...d.extra,
    id: d.id,
    name: d.name,
    domain_id: null,
    description: d.description,
    enabled: d.enabled,
    parent_id: null,
    is_domain: true,
    tags: [],
    options: {},
    links: selfLinks(req, `projects/${d.id}`),
  };
}

/** Keystone's `?flag` query semantics: present means true unless it is "0" (or false). */
const flag = (v: string | undefined): boolean => v !== undefined && queryBool(v) === true;

const csv = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').filter((t) => t !== ''));

/** The tags, tags-any, not-tags and not-tags-any filters. */
function matchesTags(tags: string[], q: ListQueryT): boolean {
  const all = csv(q.tags);
  const any = csv(q['tags-any']);
  const notAll = csv(q['not-tags']);
  const notAny = csv(q['not-tags-any']);
  if (all && !all.every((t) => tags.includes(t))) return false;
  if (any && !any.some((t) => tags.includes(t))) return false;
  if (notAll && notAll.length > 0 && notAll.every((t) => tags.includes(t))) return false;
  if (notAny && notAny.some((t) => tags.includes(t))) return false;
  return true;
}

/** /v3/projects and /v3/projects/{id}/tags */
export function registerProjectRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, resources, assignments } = svc;
  const target = (id: string) => ({ target: { project: { id } } });

  /** A project, or a domain addressed as a project (Keystone stores domains as projects). */
  async function lookup(id: string): Promise<{ project: Project } | { domain: Domain }> {
    const project = await resources.findProject(id);
    if (project) return { project };
    const domain = await resources.findDomain(id);
    if (domain) return { domain };
    throw notFound(`Could not find project: ${id}.`, 'project_not_found');
  }

  /** Children of a project, or the top-level projects of a domain. */
  const childrenOf = async (id: string, isDomain: boolean): Promise<Project[]> =>
    resources.listProjects(isDomain ? { domainId: id, parentId: null } : { parentId: id });

  async function subtreeIds(id: string, isDomain: boolean, depth = 0): Promise<Nested | null> {
    const children = await childrenOf(id, isDomain);
    if (children.length === 0 || depth > 100) return null;
    const out: Nested = {};
    for (const c of children) out[c.id] = await subtreeIds(c.id, false, depth + 1);
    return out;
  }

  async function listProjects(req: FastifyRequest): Promise<Record<string, unknown>[]> {
    const q = req.query as ListQueryT;
    const enabled = queryBool(q.enabled);
    const scopeDomain = authOf(req).domainId;
    let rows: { tags: string[]; domainId: string | null; view: Record<string, unknown> }[];
    if (q.is_domain !== undefined && queryBool(q.is_domain)) {
      // Projects acting as domains have neither a domain nor a parent.
      if (q.domain_id !== undefined || q.parent_id !== undefined) return [];
      const domains = await resources.listDomains({ name: q.name, enabled });
      rows = domains.map((d) => ({ tags: [], domainId: null, view: domainAsProjectView(req, d) }));
    } else {
      const filter: Parameters<typeof resources.listProjects>[0] = { domainId: q.domain_id, name: q.name, enabled };
      if (q.parent_id !== undefined) {
        if (await resources.findProject(q.parent_id)) filter.parentId = q.parent_id;
        else if (await resources.findDomain(q.parent_id)) {
          // Top-level projects have their domain as parent.
          if (q.domain_id !== undefined && q.domain_id !== q.parent_id) return [];
          filter.domainId = q.parent_id;
          filter.parentId = null;
        } else return [];
      }
      const projects = await resources.listProjects(filter);
      rows = projects.map((p) => ({ tags: p.tags, domainId: p.domainId, view: projectView(req, p) }));
    }
    return (
      rows
        .filter((r) => matchesTags(r.tags, q))
        // A domain-scoped caller sees its own domain's projects only, as in Keystone.
        .filter((r) => scopeDomain === undefined || r.domainId === scopeDomain)
        .map((r) => r.view)
    );
  }

  app.get('/v3/projects', { schema: { querystring: ListQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_projects');
    return { projects: await listProjects(req), links: collectionLinks(req) };
  });

  app.get('/v3/projects/:project_id', { schema: { params: IdParam, querystring: ShowQuery } }, async (req) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:get_project', target(project_id));
    const q = req.query as Partial<Record<'parents_as_list' | 'parents_as_ids' | 'subtree_as_list' | 'subtree_as_ids', string>>;
    const parentsList = flag(q.parents_as_list);
    const parentsIds = flag(q.parents_as_ids);
    const subtreeList = flag(q.subtree_as_list);
    const subtreeAsIds = flag(q.subtree_as_ids);
    if (parentsList && parentsIds)
      throw badRequest('Cannot use parents_as_list and parents_as_ids query params at the same time.', 'validation_error');
    if (subtreeList && subtreeAsIds)
      throw badRequest('Cannot use subtree_as_list and subtree_as_ids query params at the same time.', 'validation_error');

    const found = await lookup(project_id);
    const isDomain = 'domain' in found;
    const view = 'domain' in found ? domainAsProjectView(req, found.domain) : projectView(req, found.project);
    // The list forms show only projects the caller has a role on, as Keystone does.
    const visible =
      parentsList || subtreeList ? new Set((await assignments.projectsOfUser(authOf(req).userId)).map((p) => p.id)) : new Set<string>();
    const wrap = (ps: Project[]) => ps.filter((p) => visible.has(p.id)).map((p) => ({ project: projectView(req, p) }));

    if ('project' in found && (parentsList || parentsIds)) {
      const parents = await resources.parents(found.project);
      if (parentsList) view.parents = wrap(parents);
      else {
        // {nearest: {…: {domain_id: null}}}, the domain being the root of every hierarchy.
        let acc: Nested = { [found.project.domainId]: null };
        for (const p of [...parents].reverse()) acc = { [p.id]: acc };
        view.parents = acc;
      }
    } else if (isDomain && (parentsList || parentsIds)) {
      view.parents = parentsList ? [] : null;
    }
    if (subtreeAsIds) view.subtree = await subtreeIds(project_id, isDomain);
    else if (subtreeList) {
      const subtree = 'project' in found ? await resources.subtree(found.project) : await resources.listProjects({ domainId: project_id });
      view.subtree = wrap(subtree);
    }
    return { project: view };
  });

  app.post('/v3/projects', { schema: { body: ProjectCreate } }, async (req, reply) => {
    const { project } = req.body as { project: ProjectInput };
    enforce(policy, req, 'identity:create_project', { target: { project } });
    const created = await resources.createProject(project, callerDomainId(req));
    const view = project.is_domain ? domainAsProjectView(req, await resources.getDomain(created.id)) : projectView(req, created);
    return reply.code(201).send({ project: view });
  });

  app.patch('/v3/projects/:project_id', { schema: { params: IdParam, body: ProjectUpdate } }, async (req) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:update_project', target(project_id));
    const { project } = req.body as { project: ProjectInput & { id?: string } };
    requireMatchingId(project, project_id);
    const found = await lookup(project_id);
    if ('domain' in found) {
      if (project.is_domain === false) throw badRequest('Update of `is_domain` is not allowed.', 'validation_error');
      const { name, description, enabled } = project;
      return { project: domainAsProjectView(req, await resources.updateDomain(project_id, { name, description, enabled })) };
    }
    return { project: projectView(req, await resources.updateProject(project_id, project)) };
  });

  app.delete('/v3/projects/:project_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:delete_project', target(project_id));
    const found = await lookup(project_id);
    if ('domain' in found) await deleteDomainCascade(svc, project_id);
    else await resources.deleteProject(project_id);
    return reply.code(204).send();
  });

  // ---- tags (https://specs.openstack.org/openstack/api-wg/guidelines/tags.html)

  const tagsBody = (req: FastifyRequest, tags: string[]) => ({ tags, links: { self: `${requestBaseUrl(req)}${req.url.split('?')[0]}` } });

  app.get('/v3/projects/:project_id/tags', { schema: { params: IdParam } }, async (req) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:list_project_tags', target(project_id));
    return tagsBody(req, (await resources.getProject(project_id)).tags);
  });

  app.put('/v3/projects/:project_id/tags', { schema: { params: IdParam, body: TagsUpdate } }, async (req) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:update_project_tags', target(project_id));
    const { tags } = req.body as { tags: string[] };
    return tagsBody(req, (await resources.updateProject(project_id, { tags })).tags);
  });

  app.delete('/v3/projects/:project_id/tags', { schema: { params: IdParam } }, async (req, reply) => {
    const { project_id } = req.params as { project_id: string };
    enforce(policy, req, 'identity:delete_project_tags', target(project_id));
    await resources.updateProject(project_id, { tags: [] });
    return reply.code(204).send();
  });

  app.get('/v3/projects/:project_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    enforce(policy, req, 'identity:get_project_tag', target(project_id));
    const p = await resources.getProject(project_id);
    if (!p.tags.includes(tag)) throw notFound(`Tag ${tag} not found on project ${project_id}.`, 'tag_not_found');
    return reply.code(204).send();
  });

  app.put('/v3/projects/:project_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    enforce(policy, req, 'identity:create_project_tag', target(project_id));
    const p = await resources.getProject(project_id);
    // Keystone validates the resulting list, so an existing tag is a duplicate (400).
    if (p.tags.includes(tag))
      throw badRequest(`Invalid input for field 'tags': tag ${tag} is already on the project (non-unique elements).`, 'validation_error');
    await resources.addTag(project_id, tag);
    return reply
      .code(201)
      .header('location', `${requestBaseUrl(req)}/v3/projects/${project_id}/tags/${encodeURIComponent(tag)}`)
      .send();
  });

  app.delete('/v3/projects/:project_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    enforce(policy, req, 'identity:delete_project_tag', target(project_id));
    await resources.removeTag(project_id, tag);
    return reply.code(204).send();
  });
}
