import type { ImageKysely } from './image-database.js';
import { MetadefNamespaceStore } from './metadef-namespace-store.js';
import { MetadefObjectStore } from './metadef-object-store.js';
import { MetadefPropertyStore } from './metadef-property-store.js';
import { MetadefResourceTypeStore } from './metadef-resource-type-store.js';
import { MetadefTagStore } from './metadef-tag-store.js';

/** The metadef stores over one connection (or one transaction). */
export class MetadefStores {
  readonly namespaces: MetadefNamespaceStore;
  readonly objects: MetadefObjectStore;
  readonly properties: MetadefPropertyStore;
  readonly tags: MetadefTagStore;
  readonly resourceTypes: MetadefResourceTypeStore;

  constructor(private readonly db: ImageKysely) {
    this.namespaces = new MetadefNamespaceStore(db);
    this.objects = new MetadefObjectStore(db);
    this.properties = new MetadefPropertyStore(db);
    this.tags = new MetadefTagStore(db);
    this.resourceTypes = new MetadefResourceTypeStore(db);
  }

  /** Runs `work` with stores bound to one transaction: all of its writes happen, or none. */
  transaction<T>(work: (tx: MetadefStores) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => work(new MetadefStores(tx)));
  }

  /** Removes everything a namespace holds, then the namespace; call inside `transaction`. */
  async deleteNamespace(namespaceId: string): Promise<void> {
    await this.objects.deleteAll(namespaceId);
    await this.properties.deleteAll(namespaceId);
    await this.tags.deleteAll(namespaceId);
    await this.resourceTypes.deleteAll(namespaceId);
    await this.namespaces.delete(namespaceId);
  }
}
