import { badRequest, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { EndpointFilterStore } from '../store/endpoint-filter-store.js';
import { readJson } from '../store/json.js';
import type { EndpointGroupRow } from '../store/schema.js';
import type { CatalogService } from './catalog-service.js';
import type { IdentityContext } from './identity-context.js';
import type { Endpoint } from './models.js';
import type { ResourceService } from './resource-service.js';

export interface EndpointGroup {
  id: string;
  name: string;
  description: string;
  filters: Record<string, string>;
}

export interface EndpointGroupInput {
  name?: string;
  description?: string | null;
  filters?: Record<string, string>;
}

const FILTER_KEYS = new Set(['interface', 'service_id', 'region_id']);

const toGroup = (r: EndpointGroupRow): EndpointGroup => ({
  id: r.id,
  name: r.name,
  description: r.description ?? '',
  filters: readJson(r.filters) as Record<string, string>,
});

function validFilters(filters: Record<string, string> | undefined): Record<string, string> {
  if (!filters || Object.keys(filters).length === 0)
    throw badRequest("Invalid input for field 'filters': at least one filter is required.");
  for (const [k, v] of Object.entries(filters)) {
    if (!FILTER_KEYS.has(k)) throw badRequest(`Invalid input for field 'filters': '${k}' is not one of interface, service_id, region_id.`);
    if (typeof v !== 'string') throw badRequest(`Invalid input for field 'filters.${k}': must be a string.`);
  }
  return filters;
}

export function endpointMatches(e: Endpoint, filters: Record<string, string>): boolean {
  return Object.entries(filters).every(([k, v]) =>
    k === 'interface' ? e.interface === v : k === 'service_id' ? e.serviceId === v : k === 'region_id' ? e.regionId === v : false,
  );
}

/**
 * OS-EP-FILTER: endpoint groups and project ↔ endpoint associations. A
 * project with any association sees only its associated endpoints in its
 * catalog; a project with none sees them all, as in Keystone.
 */
export class EndpointFilterService {
  readonly #store: EndpointFilterStore;
  readonly #ctx: IdentityContext;

  constructor(
    ctx: IdentityContext,
    private readonly deps: { catalog: CatalogService; resources: ResourceService },
  ) {
    this.#ctx = ctx;
    this.#store = new EndpointFilterStore(ctx.db);
  }

  async getGroup(id: string): Promise<EndpointGroup> {
    const r = await this.#store.getGroup(id);
    if (!r) throw notFound(`Could not find Endpoint Group: ${id}.`, 'endpoint_group_not_found');
    return toGroup(r);
  }

  async listGroups(name?: string): Promise<EndpointGroup[]> {
    return (await this.#store.listGroups(name)).map(toGroup);
  }

  async createGroup(input: EndpointGroupInput): Promise<EndpointGroup> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    const g: EndpointGroup = { id: newId(), name: input.name, description: input.description ?? '', filters: validFilters(input.filters) };
    await this.#store.insertGroup({ id: g.id, name: g.name, description: g.description, filters: JSON.stringify(g.filters) });
    this.#ctx.revision.bump();
    return g;
  }

  async updateGroup(id: string, input: EndpointGroupInput): Promise<EndpointGroup> {
    const g = await this.getGroup(id);
    if (input.name !== undefined) g.name = input.name;
    if (input.description !== undefined) g.description = input.description ?? '';
    if (input.filters !== undefined) g.filters = validFilters(input.filters);
    await this.#store.updateGroup({ id: g.id, name: g.name, description: g.description, filters: JSON.stringify(g.filters) });
    this.#ctx.revision.bump();
    return g;
  }

  async deleteGroup(id: string): Promise<void> {
    await this.getGroup(id);
    await this.#store.deleteGroup(id);
    this.#ctx.revision.bump();
  }

  async groupEndpoints(id: string): Promise<Endpoint[]> {
    const g = await this.getGroup(id);
    return (await this.deps.catalog.listEndpoints()).filter((e) => endpointMatches(e, g.filters));
  }

  async groupProjects(id: string): Promise<string[]> {
    await this.getGroup(id);
    return this.#store.groupProjects(id);
  }

  async projectGroups(projectId: string): Promise<EndpointGroup[]> {
    await this.deps.resources.getProject(projectId);
    const ids = new Set(await this.#store.projectGroups(projectId));
    return (await this.listGroups()).filter((g) => ids.has(g.id));
  }

  async associateGroup(groupId: string, projectId: string): Promise<void> {
    await this.getGroup(groupId);
    await this.deps.resources.getProject(projectId);
    await this.#store.addGroupProject(groupId, projectId);
    this.#ctx.revision.bump();
  }

  async checkGroupProject(groupId: string, projectId: string): Promise<void> {
    await this.getGroup(groupId);
    await this.deps.resources.getProject(projectId);
    if (!(await this.#store.groupProjects(groupId)).includes(projectId)) {
      throw notFound(`Could not find project ${projectId} in endpoint group ${groupId}.`, 'endpoint_group_project_not_found');
    }
  }

  async dissociateGroup(groupId: string, projectId: string): Promise<void> {
    await this.checkGroupProject(groupId, projectId);
    await this.#store.removeGroupProject(groupId, projectId);
    this.#ctx.revision.bump();
  }

  async associateEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.deps.resources.getProject(projectId);
    await this.deps.catalog.getEndpoint(endpointId);
    await this.#store.addProjectEndpoint(projectId, endpointId);
    this.#ctx.revision.bump();
  }

  async checkEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.deps.resources.getProject(projectId);
    await this.deps.catalog.getEndpoint(endpointId);
    if (!(await this.#store.projectEndpoints(projectId)).includes(endpointId)) {
      throw notFound(`Could not find endpoint ${endpointId} associated with project ${projectId}.`, 'project_endpoint_not_found');
    }
  }

  async dissociateEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.checkEndpoint(projectId, endpointId);
    await this.#store.removeProjectEndpoint(projectId, endpointId);
    this.#ctx.revision.bump();
  }

  async endpointProjects(endpointId: string): Promise<string[]> {
    await this.deps.catalog.getEndpoint(endpointId);
    return this.#store.endpointProjects(endpointId);
  }

  /** Endpoint IDs a project may see, or undefined when it has no associations (sees everything). */
  async visibleEndpoints(projectId: string): Promise<Set<string> | undefined> {
    if (!(await this.#store.hasAnyAssociation(projectId))) return undefined;
    const ids = new Set(await this.#store.projectEndpoints(projectId));
    const all = await this.deps.catalog.listEndpoints();
    for (const gid of await this.#store.projectGroups(projectId)) {
      const g = await this.#store.getGroup(gid);
      if (!g) continue;
      const filters = toGroup(g).filters;
      for (const e of all) if (endpointMatches(e, filters)) ids.add(e.id);
    }
    return ids;
  }

  /** Endpoints a project is associated with, directly or through groups. */
  async projectEndpoints(projectId: string): Promise<Endpoint[]> {
    await this.deps.resources.getProject(projectId);
    const visible = (await this.visibleEndpoints(projectId)) ?? new Set<string>();
    return (await this.deps.catalog.listEndpoints()).filter((e) => visible.has(e.id));
  }
}
