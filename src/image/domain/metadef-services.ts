import type { ImageKysely } from '../store/image-database.js';
import { MetadefStores } from '../store/metadef-stores.js';
import { MetadefNamespaceService } from './metadef-namespace-service.js';
import { MetadefObjectService } from './metadef-object-service.js';
import { MetadefPropertyService } from './metadef-property-service.js';
import { MetadefResourceTypeService } from './metadef-resource-type-service.js';
import { MetadefTagService } from './metadef-tag-service.js';

/** Page sizes of namespace lists: Glance's `limit_param_default` and `api_limit_max`. */
export interface MetadefLimits {
  limitDefault: number;
  limitMax: number;
}

/** The metadata definitions catalog's domain, wired once per process. */
export interface MetadefServices {
  limits: MetadefLimits;
  namespaces: MetadefNamespaceService;
  objects: MetadefObjectService;
  properties: MetadefPropertyService;
  tags: MetadefTagService;
  resourceTypes: MetadefResourceTypeService;
}

export function createMetadefServices(db: ImageKysely, limits: MetadefLimits = { limitDefault: 25, limitMax: 1000 }): MetadefServices {
  const stores = new MetadefStores(db);
  return {
    limits,
    namespaces: new MetadefNamespaceService(stores),
    objects: new MetadefObjectService(stores),
    properties: new MetadefPropertyService(stores),
    tags: new MetadefTagService(stores),
    resourceTypes: new MetadefResourceTypeService(stores),
  };
}
