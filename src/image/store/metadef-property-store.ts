import type { ImageKysely } from './image-database.js';
import type { MetadefProperty, PropertyDefinition } from './metadef-records.js';
import type { MetadefPropertyRow } from './metadef-schema.js';

const toProperty = (r: MetadefPropertyRow): MetadefProperty => ({
  id: r.id,
  namespaceId: r.namespace_id,
  name: r.name,
  definition: JSON.parse(r.definition) as PropertyDefinition,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (p: MetadefProperty): MetadefPropertyRow => ({
  id: p.id,
  namespace_id: p.namespaceId,
  name: p.name,
  definition: JSON.stringify(p.definition),
  created_at: p.createdAt,
  updated_at: p.updatedAt,
});

/** Persistence of a namespace's property definitions. */
export class MetadefPropertyStore {
  constructor(private readonly db: ImageKysely) {}

  async get(namespaceId: string, name: string): Promise<MetadefProperty | undefined> {
    const row = await this.db
      .selectFrom('metadef_properties')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toProperty(row);
  }

  /** A namespace's properties by name. */
  async list(namespaceId: string): Promise<MetadefProperty[]> {
    const rows = await this.db
      .selectFrom('metadef_properties')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .orderBy('name')
      .execute();
    return rows.map(toProperty);
  }

  async insert(p: MetadefProperty): Promise<void> {
    await this.db.insertInto('metadef_properties').values(toRow(p)).execute();
  }

  async update(p: MetadefProperty): Promise<void> {
    await this.db.updateTable('metadef_properties').set(toRow(p)).where('id', '=', p.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('metadef_properties').where('id', '=', id).execute();
  }

  async deleteAll(namespaceId: string): Promise<void> {
    await this.db.deleteFrom('metadef_properties').where('namespace_id', '=', namespaceId).execute();
  }
}
