import type { ImageKysely } from './image-database.js';
import type { MetadefObject } from './metadef-records.js';
import type { MetadefObjectRow } from './metadef-schema.js';

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));
const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

const toObject = (r: MetadefObjectRow): MetadefObject => ({
  id: r.id,
  namespaceId: r.namespace_id,
  name: r.name,
  description: r.description,
  required: parse(r.required),
  properties: parse(r.properties),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (o: MetadefObject): MetadefObjectRow => ({
  id: o.id,
  namespace_id: o.namespaceId,
  name: o.name,
  description: o.description,
  required: json(o.required),
  properties: json(o.properties),
  created_at: o.createdAt,
  updated_at: o.updatedAt,
});

/** Persistence of metadef objects (named groups of property definitions within a namespace). */
export class MetadefObjectStore {
  constructor(private readonly db: ImageKysely) {}

  async get(namespaceId: string, name: string): Promise<MetadefObject | undefined> {
    const row = await this.db
      .selectFrom('metadef_objects')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toObject(row);
  }

  /** A namespace's objects, oldest first. */
  async list(namespaceId: string): Promise<MetadefObject[]> {
    const rows = await this.db
      .selectFrom('metadef_objects')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map(toObject);
  }

  async insert(o: MetadefObject): Promise<void> {
    await this.db.insertInto('metadef_objects').values(toRow(o)).execute();
  }

  async update(o: MetadefObject): Promise<void> {
    await this.db.updateTable('metadef_objects').set(toRow(o)).where('id', '=', o.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('metadef_objects').where('id', '=', id).execute();
  }

  async deleteAll(namespaceId: string): Promise<void> {
    await this.db.deleteFrom('metadef_objects').where('namespace_id', '=', namespaceId).execute();
  }
}
