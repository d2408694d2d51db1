import type { IdentityKysely } from './identity-database.js';
import { bool, int, readJson, writeJson } from './json.js';
import type { EndpointRow, ServiceRow } from './schema.js';
import type { Endpoint, EndpointInterface, Service } from '../domain/models.js';

const toService = (r: ServiceRow): Service => {
  const extra = readJson(r.extra);
  const { name, description, ...rest } = extra;
  return {
    id: r.id,
    type: r.type,
    name: typeof name === 'string' ? name : '',
    description: typeof description === 'string' ? description : '',
    enabled: bool(r.enabled),
    extra: rest,
  };
};

const toEndpoint = (r: EndpointRow): Endpoint => ({
  id: r.id,
  serviceId: r.service_id,
  regionId: r.region_id,
  interface: r.interface as EndpointInterface,
  url: r.url,
  enabled: bool(r.enabled),
  extra: readJson(r.extra),
});

const endpointRow = (e: Endpoint): EndpointRow => ({
  id: e.id,
  service_id: e.serviceId,
  region_id: e.regionId,
  interface: e.interface,
  url: e.url,
  enabled: int(e.enabled),
  extra: writeJson(e.extra),
});

export interface EndpointFilter {
  serviceId?: string;
  interface?: string;
  regionId?: string;
}

/** Persistence of services and endpoints. */
export class CatalogStore {
  constructor(private readonly db: IdentityKysely) {}

  async getService(id: string): Promise<Service | undefined> {
    const r = await this.db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toService(r);
  }

  async listServices(filter: { type?: string }): Promise<Service[]> {
    let q = this.db.selectFrom('services').selectAll().orderBy('type');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(toService);
  }

  async insertService(s: Service): Promise<void> {
    await this.db
      .insertInto('services')
      .values({
        id: s.id,
        type: s.type,
        enabled: int(s.enabled),
        extra: writeJson({ ...s.extra, name: s.name, description: s.description }),
      })
      .execute();
  }

  async updateService(s: Service): Promise<void> {
    await this.db
      .updateTable('services')
      .set({ type: s.type, enabled: int(s.enabled), extra: writeJson({ ...s.extra, name: s.name, description: s.description }) })
      .where('id', '=', s.id)
      .execute();
  }

  async deleteService(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('endpoints').where('service_id', '=', id).execute();
      await tx.deleteFrom('services').where('id', '=', id).execute();
    });
  }

  async getEndpoint(id: string): Promise<Endpoint | undefined> {
    const r = await this.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toEndpoint(r);
  }

  async listEndpoints(filter: EndpointFilter): Promise<Endpoint[]> {
    let q = this.db.selectFrom('endpoints').selectAll().orderBy('id');
    if (filter.serviceId !== undefined) q = q.where('service_id', '=', filter.serviceId);
    if (filter.interface !== undefined) q = q.where('interface', '=', filter.interface);
    if (filter.regionId !== undefined) q = q.where('region_id', '=', filter.regionId);
    return (await q.execute()).map(toEndpoint);
  }

  async insertEndpoint(e: Endpoint): Promise<void> {
    await this.db.insertInto('endpoints').values(endpointRow(e)).execute();
  }

  async updateEndpoint(e: Endpoint): Promise<void> {
    await this.db.updateTable('endpoints').set(endpointRow(e)).where('id', '=', e.id).execute();
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.db.deleteFrom('endpoints').where('id', '=', id).execute();
  }

  async endpointsInRegion(regionId: string): Promise<number> {
    const rows = await this.db.selectFrom('endpoints').select('id').where('region_id', '=', regionId).limit(1).execute();
    return rows.length;
  }
}
