import { failOnDuplicate } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { MetadefStores } from '../store/metadef-stores.js';
import { contentNotFound, duplicateContent, protectedContent } from './metadef-errors.js';
import type { MetadefNamespace, MetadefTag, TagListQuery } from './metadef-models.js';

const compare = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/** A namespace's tag definitions: names offered for tagging resources. */
export class MetadefTagService {
  constructor(private readonly stores: MetadefStores) {}

  /** One page of a namespace's tags, sorted in memory (a namespace holds few). */
  async list(ns: MetadefNamespace, q: TagListQuery): Promise<MetadefTag[]> {
    const all = await this.stores.tags.list(ns.id);
    const key = (t: MetadefTag): string => (q.sortKey === 'name' ? t.name : q.sortKey === 'created_at' ? t.createdAt : t.updatedAt);
    const sign = q.sortDir === 'asc' ? 1 : -1;
    all.sort((a, b) => sign * (compare(key(a), key(b)) || compare(a.name, b.name)));
    let start = 0;
    if (q.marker !== undefined) {
      const marker = q.marker;
      start = all.findIndex((t) => t.name === marker) + 1;
      if (start === 0) throw contentNotFound('tag', marker, ns.namespace);
    }
    return all.slice(start, q.limit === undefined ? undefined : start + q.limit);
  }

  async get(ns: MetadefNamespace, name: string): Promise<MetadefTag> {
    const t = await this.stores.tags.get(ns.id, name);
    if (!t) throw contentNotFound('tag', name, ns.namespace);
    return t;
  }

  async create(ns: MetadefNamespace, name: string): Promise<MetadefTag> {
    const now = dbTime();
    const t: MetadefTag = { id: newUuid(), namespaceId: ns.id, name, createdAt: now, updatedAt: now };
    await failOnDuplicate(this.stores.tags.insert([t]), () => duplicateContent('tag', name, ns.namespace));
    return t;
  }

  /**
   * POST /tags: replaces every tag of the namespace with `names`, or with
   * `append` (X-Openstack-Append) adds them to those it has. Either way a
   * name given twice, or already present, is a conflict and nothing changes.
   */
  async createMany(ns: MetadefNamespace, names: string[], append: boolean): Promise<MetadefTag[]> {
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw duplicateContent('tag', twice, ns.namespace);
    const now = dbTime();
    const tags = names.map((name) => ({ id: newUuid(), namespaceId: ns.id, name, createdAt: now, updatedAt: now }));
    await this.stores.transaction(async (tx) => {
      if (!append) await tx.tags.deleteAll(ns.id);
      else {
        const existing = new Set((await tx.tags.list(ns.id)).map((t) => t.name));
        const clash = names.find((n) => existing.has(n));
        if (clash !== undefined) throw duplicateContent('tag', clash, ns.namespace);
      }
      await failOnDuplicate(tx.tags.insert(tags), () => duplicateContent('tag', names.join(', '), ns.namespace));
    });
    return tags;
  }

  /** Renames a tag. */
  async update(ns: MetadefNamespace, name: string, newName: string): Promise<MetadefTag> {
    const current = await this.get(ns, name);
    const t: MetadefTag = { ...current, name: newName, updatedAt: dbTime() };
    if (newName !== name && (await this.stores.tags.get(ns.id, newName))) throw duplicateContent('tag', newName, ns.namespace);
    await failOnDuplicate(this.stores.tags.update(t), () => duplicateContent('tag', newName, ns.namespace));
    return t;
  }

  async delete(ns: MetadefNamespace, name: string): Promise<void> {
    const t = await this.get(ns, name);
    if (ns.protected) throw protectedContent('tag', name);
    await this.stores.tags.delete(t.id);
  }
}
