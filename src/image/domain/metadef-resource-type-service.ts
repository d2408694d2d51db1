import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { MetadefStores } from '../store/metadef-stores.js';
import { associationNotFound, duplicateAssociation, protectedContent } from './metadef-errors.js';
import type { AssociationInput, MetadefNamespace, MetadefResourceType, ResourceTypeAssociation } from './metadef-models.js';

/** Resource types (OS::Glance::Image, OS::Nova::Flavor, ...) and namespaces' associations with them. */
export class MetadefResourceTypeService {
  constructor(private readonly stores: MetadefStores) {}

  listTypes(): Promise<MetadefResourceType[]> {
    return this.stores.resourceTypes.listTypes();
  }

  associations(ns: MetadefNamespace): Promise<ResourceTypeAssociation[]> {
    return this.stores.resourceTypes.listAssociations([ns.id]);
  }

  /** Associates a namespace with a resource type, creating the type when it is new (as Glance does). */
  async associate(ns: MetadefNamespace, input: AssociationInput): Promise<ResourceTypeAssociation> {
    const now = dbTime();
    const a: ResourceTypeAssociation = {
      namespaceId: ns.id,
      name: input.name,
      prefix: input.prefix ?? null,
      propertiesTarget: input.propertiesTarget ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.stores.transaction(async (tx) => {
      await tx.resourceTypes.ensureType({ name: a.name, protected: false, createdAt: now, updatedAt: now });
      if (await tx.resourceTypes.getAssociation(ns.id, a.name)) throw duplicateAssociation(a.name, ns.namespace);
      await failOnDuplicate(tx.resourceTypes.insertAssociation(a), () => duplicateAssociation(a.name, ns.namespace));
    });
    return a;
  }

  async dissociate(ns: MetadefNamespace, resourceType: string): Promise<void> {
    if (!(await this.stores.resourceTypes.getAssociation(ns.id, resourceType))) throw associationNotFound(resourceType, ns.namespace);
    if (ns.protected) throw protectedContent('resource-type-association', resourceType);
    await this.stores.resourceTypes.deleteAssociation(ns.id, resourceType);
  }
}
