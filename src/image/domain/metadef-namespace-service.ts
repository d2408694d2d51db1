import { failOnDuplicate } from '../../lib/db/database.js';
import { badRequest, conflict } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { MetadefStores } from '../store/metadef-stores.js';
import { duplicateAssociation, duplicateContent, duplicateNamespace, namespaceNotFound, protectedNamespace } from './metadef-errors.js';
import type {
  MetadefNamespace,
  MetadefObject,
  MetadefProperty,
  NamespaceCreateInput,
  NamespaceDetail,
  NamespaceInput,
  NamespaceListQuery,
  PropertyDefinition,
  ResourceTypeAssociation,
} from './metadef-models.js';
import type { Caller } from './models.js';

/** A namespace as listed: its attributes and its resource-type associations. */
export interface ListedNamespace {
  namespace: MetadefNamespace;
  associations: ResourceTypeAssociation[];
}

/**
 * Glance's visibility rule: admins see every namespace; others see public
 * ones, ownerless ones and their own project's. An invisible namespace is
 * reported as missing, never as forbidden.
 */
export function namespaceVisible(caller: Caller, ns: MetadefNamespace): boolean {
  return caller.isAdmin || ns.owner === null || ns.visibility === 'public' || (caller.projectId !== null && ns.owner === caller.projectId);
}

/** The project a new namespace belongs to unless the request names one. */
const ownerOf = (caller: Caller): string => caller.projectId ?? caller.userId;

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

const SORT_VALUE: Record<NamespaceListQuery['sortKey'], (n: MetadefNamespace) => unknown> = {
  namespace: (n) => n.namespace,
  display_name: (n) => n.displayName,
  visibility: (n) => n.visibility,
  protected: (n) => Number(n.protected),
  owner: (n) => n.owner,
  created_at: (n) => n.createdAt,
  updated_at: (n) => n.updatedAt,
};

/** Namespaces: the catalog's top level, each holding objects, properties, tags and resource-type associations. */
export class MetadefNamespaceService {
  constructor(private readonly stores: MetadefStores) {}

  /** The namespace called `name` if the caller may see it; 404 otherwise. */
  async get(caller: Caller, name: string): Promise<MetadefNamespace> {
    const ns = await this.stores.namespaces.get(name);
    if (!ns || !namespaceVisible(caller, ns)) throw namespaceNotFound(name);
    return ns;
  }

  /**
   * One page of the namespaces the caller may see. Sorting and paging
   * happen here, over the visible set (a catalog holds tens of namespaces,
   * not thousands), so every backend orders nulls and text the same way.
   */
  async list(caller: Caller, q: NamespaceListQuery): Promise<{ namespaces: ListedNamespace[]; next?: string }> {
    const all = await this.stores.namespaces.list(
      { admin: caller.isAdmin, projectId: caller.projectId },
      { visibility: q.visibility, resourceTypes: q.resourceTypes },
    );
    const value = SORT_VALUE[q.sortKey];
    const sign = q.sortDir === 'asc' ? 1 : -1;
    all.sort((a, b) => sign * (compare(value(a), value(b)) || compare(a.createdAt, b.createdAt) || compare(a.id, b.id)));
    let start = 0;
    if (q.marker !== undefined) {
      const marker = q.marker;
      const at = all.findIndex((n) => n.namespace === marker);
      if (at < 0) throw namespaceNotFound(marker);
      start = at + 1;
    }
    const page = all.slice(start, start + q.limit);
    const associations = await this.stores.resourceTypes.listAssociations(page.map((n) => n.id));
    const namespaces = page.map((n) => ({ namespace: n, associations: associations.filter((a) => a.namespaceId === n.id) }));
    const last = page[page.length - 1];
    return last && page.length === q.limit ? { namespaces, next: last.namespace } : { namespaces };
  }

  /**
   * Everything a namespace holds. With `resourceType`, property names (and
   * objects' property and required names) carry the prefix that resource
   * type uses, as a client applying them to such a resource needs them.
   */
  async detail(ns: MetadefNamespace, resourceType?: string): Promise<NamespaceDetail> {
    const s = this.stores;
    const [associations, objects, properties, tags] = await Promise.all([
      s.resourceTypes.listAssociations([ns.id]),
      s.objects.list(ns.id),
      s.properties.list(ns.id),
      s.tags.list(ns.id),
    ]);
    tags.sort((a, b) => compare(a.createdAt, b.createdAt) || compare(a.name, b.name));
    const detail: NamespaceDetail = { namespace: ns, associations, objects, properties, tags };
    const prefix = resourceType === undefined ? null : (associations.find((a) => a.name === resourceType)?.prefix ?? null);
    return prefix ? withPrefix(detail, prefix) : detail;
  }

  async create(caller: Caller, input: NamespaceCreateInput): Promise<NamespaceDetail> {
    const now = dbTime();
    const ns: MetadefNamespace = {
      id: newUuid(),
      ...attributes(input, ownerOf(caller)),
      createdAt: now,
      updatedAt: now,
    };
    const name = ns.namespace;
    const objects = input.objects ?? [];
    const tags = input.tags ?? [];
    const associations = input.resourceTypeAssociations ?? [];
    // Repeated tags or types are found before anything is written; a repeated object name
    // fails its insert, and the transaction takes the namespace back out with it.
    const dup = (names: string[]): string | undefined => names.find((n, i) => names.indexOf(n) !== i);
    const dupTag = dup(tags);
    if (dupTag !== undefined) throw duplicateContent('tag', dupTag, name);
    const dupType = dup(associations.map((a) => a.name));
    if (dupType !== undefined) throw duplicateAssociation(dupType, name);

    await this.stores.transaction(async (tx) => {
      await failOnDuplicate(tx.namespaces.insert(ns), () => duplicateNamespace(name));
      for (const a of associations) {
        await tx.resourceTypes.ensureType({ name: a.name, protected: false, createdAt: now, updatedAt: now });
        await tx.resourceTypes.insertAssociation({
          namespaceId: ns.id,
          name: a.name,
          prefix: a.prefix ?? null,
          propertiesTarget: a.propertiesTarget ?? null,
          createdAt: now,
          updatedAt: now,
        });
      }
      for (const o of objects) {
        const insert = tx.objects.insert({
          id: newUuid(),
          namespaceId: ns.id,
          name: o.name,
          description: o.description ?? null,
          required: o.required ?? null,
          properties: o.properties ?? null,
          createdAt: now,
          updatedAt: now,
        });
        await failOnDuplicate(insert, () => duplicateContent('object', o.name, name));
      }
      for (const [propName, definition] of Object.entries(input.properties ?? {})) {
        await tx.properties.insert({ id: newUuid(), namespaceId: ns.id, name: propName, definition, createdAt: now, updatedAt: now });
      }
      await tx.tags.insert(tags.map((t) => ({ id: newUuid(), namespaceId: ns.id, name: t, createdAt: now, updatedAt: now })));
    });
    return this.detail(ns);
  }

  /**
   * PUT replaces the namespace's own attributes (its contents stay): omitted
   * ones fall back to create's defaults, and a new `namespace` renames it.
   */
  async update(caller: Caller, ns: MetadefNamespace, input: NamespaceInput): Promise<MetadefNamespace> {
    const updated: MetadefNamespace = { ...ns, ...attributes(input, ownerOf(caller)), updatedAt: dbTime() };
    if (updated.namespace !== ns.namespace && (await this.stores.namespaces.get(updated.namespace))) {
      throw renameConflict(updated.namespace);
    }
    await failOnDuplicate(this.stores.namespaces.update(updated), () => renameConflict(updated.namespace));
    return updated;
  }

  async delete(ns: MetadefNamespace): Promise<void> {
    if (ns.protected) throw protectedNamespace(ns.namespace);
    await this.stores.transaction((tx) => tx.deleteNamespace(ns.id));
  }

  /** DELETE /objects, /properties or /tags of a namespace: empties that part of it. */
  async deleteContents(ns: MetadefNamespace, part: 'objects' | 'properties' | 'tags'): Promise<void> {
    if (ns.protected) throw protectedNamespace(ns.namespace);
    await this.stores[part].deleteAll(ns.id);
  }
}

function attributes(input: NamespaceInput, defaultOwner: string): Omit<MetadefNamespace, 'id' | 'createdAt' | 'updatedAt'> {
  if (input.namespace.length === 0) throw badRequest('namespace: must not be empty.');
  return {
    namespace: input.namespace,
    displayName: input.displayName ?? null,
    description: input.description ?? null,
    visibility: input.visibility ?? 'private',
    protected: input.protected ?? false,
    owner: input.owner ?? defaultOwner,
  };
}

const renameConflict = (name: string) =>
  conflict(
    `Invalid update. It would result in a duplicate metadata definition namespace with the same name of ${name}`,
    'metadef_duplicate_namespace',
  );

function prefixed(properties: Record<string, PropertyDefinition>, prefix: string): Record<string, PropertyDefinition> {
  return Object.fromEntries(Object.entries(properties).map(([k, v]) => [prefix + k, v]));
}

function withPrefix(d: NamespaceDetail, prefix: string): NamespaceDetail {
  const properties: MetadefProperty[] = d.properties.map((p) => ({ ...p, name: prefix + p.name }));
  const objects: MetadefObject[] = d.objects.map((o) => ({
    ...o,
    properties: o.properties && prefixed(o.properties, prefix),
    required: o.required && o.required.map((r) => prefix + r),
  }));
  return { ...d, properties, objects };
}
