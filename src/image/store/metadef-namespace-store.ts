import type { ImageKysely } from './image-database.js';
import type { MetadefNamespace, NamespaceVisibility } from './metadef-records.js';
import type { MetadefNamespaceRow } from './metadef-schema.js';

/** Which namespaces a lister may see (the rule is the domain's; this is its SQL). */
export interface NamespaceScope {
  admin: boolean;
  projectId: string | null;
}

export interface NamespaceFilter {
  visibility?: NamespaceVisibility;
  /** Only namespaces associated with at least one of these resource types. */
  resourceTypes?: string[];
}

const toNamespace = (r: MetadefNamespaceRow): MetadefNamespace => ({
  id: r.id,
  namespace: r.namespace,
  displayName: r.display_name,
  description: r.description,
  visibility: r.visibility as NamespaceVisibility,
  protected: Boolean(r.protected),
  owner: r.owner,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (n: MetadefNamespace): MetadefNamespaceRow => ({
  id: n.id,
  namespace: n.namespace,
  display_name: n.displayName,
  description: n.description,
  visibility: n.visibility,
  protected: n.protected ? 1 : 0,
  owner: n.owner,
  created_at: n.createdAt,
  updated_at: n.updatedAt,
});

/** Persistence of metadef namespaces (their contents live in the other metadef stores). */
export class MetadefNamespaceStore {
  constructor(private readonly db: ImageKysely) {}

  async get(name: string): Promise<MetadefNamespace | undefined> {
    const row = await this.db.selectFrom('metadef_namespaces').selectAll().where('namespace', '=', name).executeTakeFirst();
    return row && toNamespace(row);
  }

  /** Every namespace `scope` may see that matches `filter`, unordered. */
  async list(scope: NamespaceScope, filter: NamespaceFilter): Promise<MetadefNamespace[]> {
    let q = this.db.selectFrom('metadef_namespaces').selectAll();
    if (!scope.admin) {
      q = q.where((eb) => {
        const visible = [eb('visibility', '=', 'public'), eb('owner', 'is', null)];
        if (scope.projectId !== null) visible.push(eb('owner', '=', scope.projectId));
        return eb.or(visible);
      });
    }
    if (filter.visibility) q = q.where('visibility', '=', filter.visibility);
    if (filter.resourceTypes) {
      const types = filter.resourceTypes;
      if (types.length === 0) return [];
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('metadef_namespace_resource_types').select('namespace_id').where('resource_type', 'in', types),
      );
    }
    return (await q.execute()).map(toNamespace);
  }

  async insert(n: MetadefNamespace): Promise<void> {
    await this.db.insertInto('metadef_namespaces').values(toRow(n)).execute();
  }

  async update(n: MetadefNamespace): Promise<void> {
    await this.db.updateTable('metadef_namespaces').set(toRow(n)).where('id', '=', n.id).execute();
  }

  /** Removes the namespace row only; callers delete its contents in the same transaction. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('metadef_namespaces').where('id', '=', id).execute();
  }
}
