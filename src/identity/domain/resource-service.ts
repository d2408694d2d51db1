import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { ResourceStore, type ProjectFilter } from '../store/resource-store.js';
import type { IdentityContext } from './identity-context.js';
import type { Domain, Project } from './models.js';

export const DEFAULT_DOMAIN_ID = 'default';
const MAX_TAGS = 80;

export interface DomainInput {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  [extra: string]: unknown;
}

export interface ProjectInput {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  domain_id?: string | null;
  parent_id?: string | null;
  is_domain?: boolean;
  tags?: string[];
  [extra: string]: unknown;
}

/** Called when a project or domain disappears, so grants and tokens on it go too. */
export interface ResourceCleanup {
  targetDeleted(targetId: string, kind: 'project' | 'domain'): Promise<void>;
}

const DOMAIN_KEYS = new Set(['id', 'name', 'description', 'enabled', 'links', 'options', 'tags', 'explicit_domain_id']);
const PROJECT_KEYS = new Set(['id', 'name', 'description', 'enabled', 'domain_id', 'parent_id', 'is_domain', 'tags', 'links', 'options']);

const pickExtra = (input: Record<string, unknown>, known: Set<string>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !known.has(k)));

export function validateTags(tags: string[]): void {
  if (tags.length > MAX_TAGS) throw badRequest(`The number of tags is over the limit of ${MAX_TAGS}.`);
  for (const t of tags) {
    if (t.length === 0 || t.length > 255 || t.includes('/') || t.includes(',')) {
      throw badRequest(`Invalid input for field 'tags': '${t}' is not a valid tag (1-255 characters, no '/' or ',').`);
    }
  }
}

/** Domains and projects (Keystone's resource backend). */
export class ResourceService {
  readonly #store: ResourceStore;
  readonly #ctx: IdentityContext;
  #cleanup: ResourceCleanup | undefined;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new ResourceStore(ctx.db);
  }

  /** Wired after construction: assignments and revocations depend on resources too. */
  setCleanup(cleanup: ResourceCleanup): void {
    this.#cleanup = cleanup;
  }

  // ---- domains

  async getDomain(id: string): Promise<Domain> {
    const d = await this.#store.getDomain(id);
    if (!d) throw notFound(`Could not find domain: ${id}.`, 'domain_not_found');
    return d;
  }

  findDomain(id: string): Promise<Domain | undefined> {
    return this.#store.getDomain(id);
  }

  findDomainByName(name: string): Promise<Domain | undefined> {
    return this.#store.getDomainByName(name);
  }

  listDomains(filter: { name?: string; enabled?: boolean; ids?: string[] } = {}): Promise<Domain[]> {
    return this.#store.listDomains(filter);
  }

  async createDomain(input: DomainInput & { id?: string }): Promise<Domain> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    const domain: Domain = {
      id: input.id ?? (typeof input.explicit_domain_id === 'string' ? input.explicit_domain_id : newId()),
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      extra: pickExtra(input, DOMAIN_KEYS),
    };
    await failOnDuplicate(this.#store.insertDomain(domain), () =>
      conflict(`Conflict occurred attempting to store domain - Duplicate entry found with name ${domain.name}.`, 'domain_conflict'),
    );
    this.#ctx.revision.bump();
    return domain;
  }

  async updateDomain(id: string, input: DomainInput): Promise<Domain> {
    const d = await this.getDomain(id);
    if (id === DEFAULT_DOMAIN_ID && input.enabled === false) throw badRequest('The default domain cannot be disabled.');
    if (input.name !== undefined) d.name = input.name;
    if (input.description !== undefined) d.description = input.description ?? '';
    if (input.enabled !== undefined) d.enabled = input.enabled;
    d.extra = { ...d.extra, ...pickExtra(input, DOMAIN_KEYS) };
    await failOnDuplicate(this.#store.updateDomain(d), () =>
      conflict(`Conflict occurred attempting to store domain - Duplicate entry found with name ${d.name}.`, 'domain_conflict'),
    );
    this.#ctx.revision.bump();
    return d;
  }

  /** Keystone refuses to delete an enabled domain; deleting one removes its projects. */
  async deleteDomain(id: string): Promise<void> {
    const d = await this.getDomain(id);
    if (d.enabled) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
    for (const p of await this.#store.listProjects({ domainId: id })) {
      await this.#store.deleteProject(p.id);
      await this.#cleanup?.targetDeleted(p.id, 'project');
    }
    await this.#store.deleteDomain(id);
    await this.#cleanup?.targetDeleted(id, 'domain');
    this.#ctx.revision.bump();
  }

  // ---- projects

  async getProject(id: string): Promise<Project> {
    const p = await this.#store.getProject(id);
    if (!p) throw notFound(`Could not find project: ${id}.`, 'project_not_found');
    return p;
  }

  findProject(id: string): Promise<Project | undefined> {
    return this.#store.getProject(id);
  }

  findProjectByName(domainId: string, name: string): Promise<Project | undefined> {
    return this.#store.getProjectByName(domainId, name);
  }

  listProjects(filter: ProjectFilter = {}): Promise<Project[]> {
    return this.#store.listProjects(filter);
  }

  async createProject(input: ProjectInput, defaultDomainId: string): Promise<Project> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    if (input.is_domain) {
      const d = await this.createDomain({ name: input.name, description: input.description ?? '', enabled: input.enabled ?? true });
      return {
        id: d.id,
        name: d.name,
        domainId: d.id,
        parentId: null,
        description: d.description,
        enabled: d.enabled,
        tags: [],
        extra: { is_domain: true },
      };
    }
    let domainId = input.domain_id ?? undefined;
    let parentId: string | null = input.parent_id ?? null;
    if (parentId !== null) {
      const parent = await this.#store.getProject(parentId);
      if (!parent) {
        // A parent_id naming a domain means "top level in that domain".
        const asDomain = await this.#store.getDomain(parentId);
        if (!asDomain) throw notFound(`Could not find project: ${parentId}.`, 'project_not_found');
        if (domainId && domainId !== asDomain.id) throw badRequest('Cannot create project, the parent is in a different domain.');
        domainId = asDomain.id;
        parentId = null;
      } else {
        if (domainId && domainId !== parent.domainId) throw badRequest('Cannot create project, the parent is in a different domain.');
        domainId = parent.domainId;
      }
    }
    domainId ??= defaultDomainId;
    const domain = await this.#store.getDomain(domainId);
    if (!domain) throw notFound(`Could not find domain: ${domainId}.`, 'domain_not_found');
    const tags = input.tags ?? [];
    validateTags(tags);
    const project: Project = {
      id: newId(),
      name: input.name,
      domainId,
      parentId,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      tags: [...new Set(tags)],
      extra: pickExtra(input, PROJECT_KEYS),
    };
    await failOnDuplicate(this.#store.insertProject(project), () =>
      conflict(
        `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${project.name}.`,
        'project_conflict',
      ),
    );
    this.#ctx.revision.bump();
    return project;
  }

  async updateProject(id: string, input: ProjectInput): Promise<Project> {
    const p = await this.getProject(id);
    if (input.domain_id !== undefined && input.domain_id !== p.domainId) throw badRequest('Update of `domain_id` is not allowed.');
    if (input.parent_id !== undefined && (input.parent_id ?? null) !== (p.parentId ?? null) && input.parent_id !== p.domainId) {
      throw forbidden('Update of `parent_id` is not allowed.');
    }
    if (input.is_domain !== undefined && input.is_domain !== false) throw badRequest('Update of `is_domain` is not allowed.');
    if (input.name !== undefined) p.name = input.name;
    if (input.description !== undefined) p.description = input.description ?? '';
    if (input.enabled !== undefined) {
      if (input.enabled && p.parentId) {
        const parent = await this.getProject(p.parentId);
        if (!parent.enabled) throw forbidden(`Cannot enable project ${id} since it has disabled parents.`);
      }
      if (!input.enabled && p.enabled && (await this.subtree(p)).some((c) => c.enabled)) {
        throw forbidden(`Cannot disable project ${id} since its subtree contains enabled projects.`);
      }
      p.enabled = input.enabled;
    }
    if (input.tags !== undefined) {
      validateTags(input.tags);
      p.tags = [...new Set(input.tags)];
    }
    p.extra = { ...p.extra, ...pickExtra(input, PROJECT_KEYS) };
    await failOnDuplicate(this.#store.updateProject(p), () =>
      conflict(
        `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${p.name}.`,
        'project_conflict',
      ),
    );
    this.#ctx.revision.bump();
    return p;
  }

  async deleteProject(id: string): Promise<void> {
    await this.getProject(id);
    const children = await this.#store.listProjects({ parentId: id });
    if (children.length > 0) {
      throw forbidden(
        `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`,
      );
    }
    await this.#store.deleteProject(id);
    await this.#cleanup?.targetDeleted(id, 'project');
    this.#ctx.revision.bump();
  }

  /** Ancestors nearest first, stopping at the domain. */
  async parents(p: Project): Promise<Project[]> {
    const out: Project[] = [];
    let cursor = p.parentId;
    while (cursor && out.length < 100) {
      const parent = await this.#store.getProject(cursor);
      if (!parent) break;
      out.push(parent);
      cursor = parent.parentId;
    }
    return out;
  }

  /** Every descendant, breadth first. */
  async subtree(p: Project): Promise<Project[]> {
    const out: Project[] = [];
    let frontier = [p.id];
    while (frontier.length > 0 && out.length < 10000) {
      const next: Project[] = [];
      for (const id of frontier) next.push(...(await this.#store.listProjects({ parentId: id })));
      out.push(...next);
      frontier = next.map((c) => c.id);
    }
    return out;
  }

  // ---- tags

  async addTag(projectId: string, tag: string): Promise<Project> {
    const p = await this.getProject(projectId);
    validateTags([...p.tags, tag]);
    if (!p.tags.includes(tag)) p.tags.push(tag);
    await this.#store.updateProject(p);
    this.#ctx.revision.bump();
    return p;
  }

  async removeTag(projectId: string, tag: string): Promise<void> {
    const p = await this.getProject(projectId);
    if (!p.tags.includes(tag)) throw notFound(`Tag ${tag} not found on project ${projectId}.`, 'tag_not_found');
    p.tags = p.tags.filter((t) => t !== tag);
    await this.#store.updateProject(p);
    this.#ctx.revision.bump();
  }
}
