import { KumoError, badRequest, forbidden, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { CatalogStore, type EndpointFilter } from '../store/catalog-store.js';
import type { IdentityContext } from './identity-context.js';
import type { Endpoint, EndpointInterface, Service } from './models.js';
import type { RegionService } from './region-service.js';

export interface ServiceInput {
  type?: string;
  name?: string;
  description?: string;
  enabled?: boolean;
  [extra: string]: unknown;
}

export interface EndpointInput {
  service_id?: string;
  region_id?: string | null;
  /** Deprecated alias of region_id that Keystone still accepts. */
  region?: string | null;
  interface?: string;
  url?: string;
  enabled?: boolean;
  [extra: string]: unknown;
}

export interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: { id: string; interface: EndpointInterface; region: string | null; region_id: string | null; url: string }[];
}

const SERVICE_KEYS = new Set(['id', 'type', 'name', 'description', 'enabled', 'links']);
const ENDPOINT_KEYS = new Set(['id', 'service_id', 'region_id', 'region', 'interface', 'url', 'enabled', 'links', 'legacy_endpoint_id']);
const INTERFACES = new Set(['public', 'internal', 'admin']);

/** Keystone's ValidationError for a reference to something that does not exist. */
const validation = (attribute: string, target: string): KumoError =>
  badRequest(
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
    'validation_error',
  );

const extras = (input: Record<string, unknown>, known: Set<string>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !known.has(k)));

/** Services, endpoints and the catalog built from them. */
export class CatalogService {
  readonly #store: CatalogStore;
  readonly #ctx: IdentityContext;
  readonly #regions: RegionService;
  #cache: { at: number; entries: CatalogEntry[] } | undefined;
  #filter: ((projectId: string) => Promise<Set<string> | undefined>) | undefined;
  #filtered = new Map<string, { at: number; visible: Set<string> | undefined }>();

  constructor(ctx: IdentityContext, regions: RegionService) {
    this.#ctx = ctx;
    this.#store = new CatalogStore(ctx.db);
    this.#regions = regions;
  }

  async getService(id: string): Promise<Service> {
    const s = await this.#store.getService(id);
    if (!s) throw notFound(`Could not find service: ${id}.`, 'service_not_found');
    return s;
  }

  listServices(filter: { type?: string } = {}): Promise<Service[]> {
    return this.#store.listServices(filter);
  }

  async createService(input: ServiceInput): Promise<Service> {
    if (!input.type) throw badRequest("Invalid input for field 'type': a type is required.");
    const s: Service = {
      id: newId(),
      type: input.type,
      name: input.name ?? '',
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      extra: extras(input, SERVICE_KEYS),
    };
    await this.#store.insertService(s);
    this.#ctx.revision.bump();
    return s;
  }

  async updateService(id: string, input: ServiceInput): Promise<Service> {
    const s = await this.getService(id);
    if (input.type !== undefined) s.type = input.type;
    if (input.name !== undefined) s.name = input.name;
    if (input.description !== undefined) s.description = input.description;
    if (input.enabled !== undefined) s.enabled = input.enabled;
    s.extra = { ...s.extra, ...extras(input, SERVICE_KEYS) };
    await this.#store.updateService(s);
    this.#ctx.revision.bump();
    return s;
  }

  async deleteService(id: string): Promise<void> {
    await this.getService(id);
    await this.#store.deleteService(id);
    this.#ctx.revision.bump();
  }

  async getEndpoint(id: string): Promise<Endpoint> {
    const e = await this.#store.getEndpoint(id);
    if (!e) throw notFound(`Could not find endpoint: ${id}.`, 'endpoint_not_found');
    return e;
  }

  listEndpoints(filter: EndpointFilter = {}): Promise<Endpoint[]> {
    return this.#store.listEndpoints(filter);
  }

  async createEndpoint(input: EndpointInput): Promise<Endpoint> {
    if (!input.service_id) throw badRequest("Invalid input for field 'service_id': a service_id is required.", 'validation_error');
    if (!input.url) throw badRequest("Invalid input for field 'url': a url is required.", 'validation_error');
    const iface = input.interface ?? '';
    if (!INTERFACES.has(iface))
      throw badRequest(`Invalid input for field 'interface': '${iface}' is not one of public, internal, admin.`, 'validation_error');
    const regionId = await this.#endpointRegion(input);
    await this.#requireService(input.service_id);
    const e: Endpoint = {
      id: newId(),
      serviceId: input.service_id,
      regionId: regionId ?? null,
      interface: iface as EndpointInterface,
      url: input.url,
      enabled: input.enabled ?? true,
      extra: extras(input, ENDPOINT_KEYS),
    };
    await this.#store.insertEndpoint(e);
    this.#ctx.revision.bump();
    return e;
  }

  async updateEndpoint(id: string, input: EndpointInput): Promise<Endpoint> {
    const e = await this.getEndpoint(id);
    const regionId = await this.#endpointRegion(input);
    if (regionId !== undefined) e.regionId = regionId;
    if (input.service_id !== undefined) {
      await this.#requireService(input.service_id);
      e.serviceId = input.service_id;
    }
    if (input.interface !== undefined) {
      if (!INTERFACES.has(input.interface))
        throw badRequest(
          `Invalid input for field 'interface': '${input.interface}' is not one of public, internal, admin.`,
          'validation_error',
        );
      e.interface = input.interface as EndpointInterface;
    }
    if (input.url !== undefined) e.url = input.url;
    if (input.enabled !== undefined) e.enabled = input.enabled;
    e.extra = { ...e.extra, ...extras(input, ENDPOINT_KEYS) };
    await this.#store.updateEndpoint(e);
    this.#ctx.revision.bump();
    return e;
  }

  /**
   * The region an endpoint body names (undefined: none given). An unknown
   * region_id is refused; the legacy `region` alone creates a missing region,
   * for clients still using the v3 API the way they used v2 (as Keystone).
   */
  async #endpointRegion(input: EndpointInput): Promise<string | null | undefined> {
    if (input.region_id !== undefined && input.region_id !== null) {
      if (!(await this.#regions.find(input.region_id))) throw validation('endpoint region_id', 'region table');
      return input.region_id;
    }
    if (input.region !== undefined && input.region !== null) {
      if (!(await this.#regions.find(input.region))) {
        try {
          await this.#regions.create({ id: input.region });
        } catch (e) {
          // Created meanwhile by a concurrent request: that is what we wanted.
          if (!(e instanceof KumoError && e.status === 409)) throw e;
        }
      }
      return input.region;
    }
    return input.region_id === null || input.region === null ? null : undefined;
  }

  async #requireService(id: string): Promise<void> {
    if (!(await this.#store.getService(id))) throw validation('endpoint service_id', 'service table');
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.getEndpoint(id);
    await this.#store.deleteEndpoint(id);
    this.#ctx.revision.bump();
  }

  /** Regions with endpoints, in themselves or in a descendant, cannot be deleted (Keystone's RegionDeletionError). */
  async assertRegionUnused(regionId: string): Promise<void> {
    const seen = new Set<string>();
    const pending = [regionId];
    while (pending.length > 0) {
      const id = pending.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      if ((await this.#store.endpointsInRegion(id)) > 0) {
        throw forbidden(`Unable to delete region ${regionId} because it or its child regions have associated endpoints.`);
      }
      for (const child of await this.#regions.list({ parentRegionId: id })) pending.push(child.id);
    }
  }

  /** Wired after construction: OS-EP-FILTER narrows what a project's catalog shows. */
  setEndpointFilter(filter: (projectId: string) => Promise<Set<string> | undefined>): void {
    this.#filter = filter;
  }

  /** The catalog of enabled services and endpoints, with URL templates filled for a project. */
  async catalog(projectId?: string): Promise<CatalogEntry[]> {
    const rev = this.#ctx.revision.value;
    if (!this.#cache || this.#cache.at !== rev) {
      this.#cache = { at: rev, entries: await this.#build() };
      this.#filtered.clear();
    }
    if (!projectId) return this.#cache.entries.map((e) => ({ ...e, endpoints: e.endpoints.filter((ep) => !/\$\(|%\(/.test(ep.url)) }));
    let f = this.#filtered.get(projectId);
    if (!f || f.at !== rev) {
      f = { at: rev, visible: this.#filter ? await this.#filter(projectId) : undefined };
      this.#filtered.set(projectId, f);
    }
    const visible = f.visible;
    return this.#cache.entries
      .map((e) => ({
        ...e,
        endpoints: e.endpoints
          .filter((ep) => !visible || visible.has(ep.id))
          .map((ep) => ({ ...ep, url: ep.url.replace(/\$\((project_id|tenant_id)\)s|%\((project_id|tenant_id)\)s/g, projectId) })),
      }))
      .filter((e) => !visible || e.endpoints.length > 0);
  }

  async #build(): Promise<CatalogEntry[]> {
    const services = (await this.#store.listServices({})).filter((s) => s.enabled);
    const endpoints = (await this.#store.listEndpoints({})).filter((e) => e.enabled);
    return services.map((s) => ({
      id: s.id,
      type: s.type,
      name: s.name,
      endpoints: endpoints
        .filter((e) => e.serviceId === s.id)
        .map((e) => ({ id: e.id, interface: e.interface, region: e.regionId, region_id: e.regionId, url: e.url })),
    }));
  }
}
