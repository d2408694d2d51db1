import { failOnDuplicate } from '../../lib/db/database.js';
import { notFound } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { MetadefStores } from '../store/metadef-stores.js';
import { associationNotFound, contentNotFound, duplicateContent, protectedContent } from './metadef-errors.js';
import type { MetadefNamespace, MetadefProperty, PropertyInput } from './metadef-models.js';

/** A namespace's property definitions (what a key may hold: type, enum, bounds, ...). */
export class MetadefPropertyService {
  constructor(private readonly stores: MetadefStores) {}

  list(ns: MetadefNamespace): Promise<MetadefProperty[]> {
    return this.stores.properties.list(ns.id);
  }

  /**
   * With `resourceType`, `name` is the prefixed name a resource of that type
   * uses (`hw_boot_menu` for OS::Glance::Image): the prefix is checked and
   * stripped before the lookup.
   */
  async get(ns: MetadefNamespace, name: string, resourceType?: string): Promise<MetadefProperty> {
    let stored = name;
    if (resourceType !== undefined) {
      const a = await this.stores.resourceTypes.getAssociation(ns.id, resourceType);
      if (!a) throw associationNotFound(resourceType, ns.namespace);
      if (!a.prefix || !name.startsWith(a.prefix)) {
        throw notFound(
          `Property ${name} does not start with the expected resource type association prefix of '${a.prefix ?? ''}'.`,
          'metadef_property_not_found',
        );
      }
      stored = name.slice(a.prefix.length);
    }
    const p = await this.stores.properties.get(ns.id, stored);
    if (!p) throw contentNotFound('property', stored, ns.namespace);
    return p;
  }

  async create(ns: MetadefNamespace, input: PropertyInput): Promise<MetadefProperty> {
    const now = dbTime();
    const p: MetadefProperty = {
      id: newUuid(),
      namespaceId: ns.id,
      name: input.name,
      definition: input.definition,
      createdAt: now,
      updatedAt: now,
    };
    await failOnDuplicate(this.stores.properties.insert(p), () => duplicateContent('property', p.name, ns.namespace));
    return p;
  }

  /** PUT replaces the definition whole; a new name renames it. */
  async update(ns: MetadefNamespace, name: string, input: PropertyInput): Promise<MetadefProperty> {
    const current = await this.get(ns, name);
    const p: MetadefProperty = { ...current, name: input.name, definition: input.definition, updatedAt: dbTime() };
    if (p.name !== current.name && (await this.stores.properties.get(ns.id, p.name)))
      throw duplicateContent('property', p.name, ns.namespace);
    await failOnDuplicate(this.stores.properties.update(p), () => duplicateContent('property', p.name, ns.namespace));
    return p;
  }

  async delete(ns: MetadefNamespace, name: string): Promise<void> {
    const p = await this.get(ns, name);
    if (ns.protected) throw protectedContent('property', name);
    await this.stores.properties.delete(p.id);
  }
}
