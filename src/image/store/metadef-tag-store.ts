import type { ImageKysely } from './image-database.js';
import type { MetadefTag } from './metadef-records.js';
import type { MetadefTagRow } from './metadef-schema.js';

const toTag = (r: MetadefTagRow): MetadefTag => ({
  id: r.id,
  namespaceId: r.namespace_id,
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (t: MetadefTag): MetadefTagRow => ({
  id: t.id,
  namespace_id: t.namespaceId,
  name: t.name,
  created_at: t.createdAt,
  updated_at: t.updatedAt,
});

/** Persistence of a namespace's tag definitions. */
export class MetadefTagStore {
  constructor(private readonly db: ImageKysely) {}

  async get(namespaceId: string, name: string): Promise<MetadefTag | undefined> {
    const row = await this.db
      .selectFrom('metadef_tags')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toTag(row);
  }

  /** A namespace's tags, unordered (the domain sorts and pages them). */
  async list(namespaceId: string): Promise<MetadefTag[]> {
    const rows = await this.db.selectFrom('metadef_tags').selectAll().where('namespace_id', '=', namespaceId).execute();
    return rows.map(toTag);
  }

  async insert(tags: MetadefTag[]): Promise<void> {
    if (tags.length === 0) return;
    await this.db.insertInto('metadef_tags').values(tags.map(toRow)).execute();
  }

  async update(t: MetadefTag): Promise<void> {
    await this.db.updateTable('metadef_tags').set(toRow(t)).where('id', '=', t.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('metadef_tags').where('id', '=', id).execute();
  }

  async deleteAll(namespaceId: string): Promise<void> {
    await this.db.deleteFrom('metadef_tags').where('namespace_id', '=', namespaceId).execute();
  }
}
