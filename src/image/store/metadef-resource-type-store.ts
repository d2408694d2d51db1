import { MysqlAdapter } from 'kysely';
import type { ImageKysely } from './image-database.js';
import type { MetadefResourceType, ResourceTypeAssociation } from './metadef-records.js';
import type { MetadefResourceTypeAssociationRow, MetadefResourceTypeRow } from './metadef-schema.js';

const toType = (r: MetadefResourceTypeRow): MetadefResourceType => ({
  name: r.name,
  protected: Boolean(r.protected),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toAssociation = (r: MetadefResourceTypeAssociationRow): ResourceTypeAssociation => ({
  namespaceId: r.namespace_id,
  name: r.resource_type,
  prefix: r.prefix,
  propertiesTarget: r.properties_target,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Persistence of resource types and of namespaces' associations with them. */
export class MetadefResourceTypeStore {
  constructor(private readonly db: ImageKysely) {}

  /** Every resource type, oldest (the seeded ones) first. */
  async listTypes(): Promise<MetadefResourceType[]> {
    const rows = await this.db.selectFrom('metadef_resource_types').selectAll().orderBy('created_at').orderBy('name').execute();
    return rows.map(toType);
  }

  /**
   * Creates the resource type unless it exists. Insert-or-ignore rather than
   * read-then-insert: two namespaces naming one new type at once both succeed,
   * and a duplicate never aborts the caller's transaction (PostgreSQL would).
   */
  async ensureType(t: MetadefResourceType): Promise<void> {
    const row: MetadefResourceTypeRow = { name: t.name, protected: t.protected ? 1 : 0, created_at: t.createdAt, updated_at: t.updatedAt };
    const insert = this.db.insertInto('metadef_resource_types').values(row);
    if (this.db.getExecutor().adapter instanceof MysqlAdapter) await insert.ignore().execute();
    else await insert.onConflict((oc) => oc.column('name').doNothing()).execute();
  }

  async getAssociation(namespaceId: string, name: string): Promise<ResourceTypeAssociation | undefined> {
    const row = await this.db
      .selectFrom('metadef_namespace_resource_types')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('resource_type', '=', name)
      .executeTakeFirst();
    return row && toAssociation(row);
  }

  /** The associations of the given namespaces, oldest first. */
  async listAssociations(namespaceIds: string[]): Promise<ResourceTypeAssociation[]> {
    if (namespaceIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('metadef_namespace_resource_types')
      .selectAll()
      .where('namespace_id', 'in', namespaceIds)
      .orderBy('created_at')
      .orderBy('resource_type')
      .execute();
    return rows.map(toAssociation);
  }

  async insertAssociation(a: ResourceTypeAssociation): Promise<void> {
    await this.db
      .insertInto('metadef_namespace_resource_types')
      .values({
        namespace_id: a.namespaceId,
        resource_type: a.name,
        prefix: a.prefix,
        properties_target: a.propertiesTarget,
        created_at: a.createdAt,
        updated_at: a.updatedAt,
      })
      .execute();
  }

  /** Returns whether the association existed. */
  async deleteAssociation(namespaceId: string, name: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('metadef_namespace_resource_types')
      .where('namespace_id', '=', namespaceId)
      .where('resource_type', '=', name)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteAll(namespaceId: string): Promise<void> {
    await this.db.deleteFrom('metadef_namespace_resource_types').where('namespace_id', '=', namespaceId).execute();
  }
}
