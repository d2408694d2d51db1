import type { IdentityKysely } from './identity-database.js';
import { readJson, writeJson } from './json.js';
import type { RegionRow } from './schema.js';
import type { Region } from '../domain/models.js';

const toRegion = (r: RegionRow): Region => ({
  id: r.id,
  description: r.description,
  parentRegionId: r.parent_region_id,
  extra: readJson(r.extra),
});

/** Persistence of regions. */
export class RegionStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<Region | undefined> {
    const row = await this.db.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRegion(row);
  }

  async list(filter: { parentRegionId?: string }): Promise<Region[]> {
    let q = this.db.selectFrom('regions').selectAll().orderBy('id');
    if (filter.parentRegionId !== undefined) q = q.where('parent_region_id', '=', filter.parentRegionId);
    return (await q.execute()).map(toRegion);
  }

  async insert(r: Region): Promise<void> {
    await this.db
      .insertInto('regions')
      .values({ id: r.id, description: r.description, parent_region_id: r.parentRegionId, extra: writeJson(r.extra) })
      .execute();
  }

  async update(r: Region): Promise<void> {
    await this.db
      .updateTable('regions')
      .set({ description: r.description, parent_region_id: r.parentRegionId, extra: writeJson(r.extra) })
      .where('id', '=', r.id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('regions').where('id', '=', id).execute();
  }
}
