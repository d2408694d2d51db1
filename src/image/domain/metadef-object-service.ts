import { failOnDuplicate } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import { dbTime } from '../../lib/time.js';
import type { MetadefStores } from '../store/metadef-stores.js';
import { contentNotFound, duplicateContent, protectedContent } from './metadef-errors.js';
import type { MetadefNamespace, MetadefObject, ObjectInput } from './metadef-models.js';

/** Metadef objects: named groups of property definitions within a namespace (e.g. "CPU Limits"). */
export class MetadefObjectService {
  constructor(private readonly stores: MetadefStores) {}

  list(ns: MetadefNamespace): Promise<MetadefObject[]> {
    return this.stores.objects.list(ns.id);
  }

  async get(ns: MetadefNamespace, name: string): Promise<MetadefObject> {
    const o = await this.stores.objects.get(ns.id, name);
    if (!o) throw contentNotFound('object', name, ns.namespace);
    return o;
  }

  async create(ns: MetadefNamespace, input: ObjectInput): Promise<MetadefObject> {
    const now = dbTime();
    const o: MetadefObject = { id: newUuid(), namespaceId: ns.id, ...fields(input), createdAt: now, updatedAt: now };
    await failOnDuplicate(this.stores.objects.insert(o), () => duplicateContent('object', o.name, ns.namespace));
    return o;
  }

  /** PUT replaces the object whole; a new name renames it. */
  async update(ns: MetadefNamespace, name: string, input: ObjectInput): Promise<MetadefObject> {
    const current = await this.get(ns, name);
    const o: MetadefObject = { ...current, ...fields(input), updatedAt: dbTime() };
    if (o.name !== current.name && (await this.stores.objects.get(ns.id, o.name))) throw duplicateContent('object', o.name, ns.namespace);
    await failOnDuplicate(this.stores.objects.update(o), () => duplicateContent('object', o.name, ns.namespace));
    return o;
  }

  async delete(ns: MetadefNamespace, name: string): Promise<void> {
    const o = await this.get(ns, name);
    if (ns.protected) throw protectedContent('object', name);
    await this.stores.objects.delete(o.id);
  }
}

const fields = (input: ObjectInput): Pick<MetadefObject, 'name' | 'description' | 'required' | 'properties'> => ({
  name: input.name,
  description: input.description ?? null,
  required: input.required ?? null,
  properties: input.properties ?? null,
});
