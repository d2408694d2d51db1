import type { ImageConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ImageDataStore } from '../store/image-data-store.js';
import type { ImageKysely } from '../store/image-database.js';
import { ImageStore } from '../store/image-store.js';
import { MemberStore } from '../store/member-store.js';
import { StoreCopyStore } from '../store/store-copy-store.js';
import { LocationStore } from '../store/location-store.js';
import { ImageDataService } from './image-data-service.js';
import { ImageLocationService } from './image-location-service.js';
import { ImageQuotas } from './image-quotas.js';
import { ImageService } from './image-service.js';
import { ImageStoreSet, type NamedStore } from './image-store-set.js';
import { MemberService } from './member-service.js';
import { WebDownloadRules } from './web-download.js';

/** The image service's domain, wired once per process. */
export interface ImageServices {
  config: ImageConfig;
  policy: PolicyEngine;
  images: ImageService;
  members: MemberService;
  data: ImageDataService;
  quotas: ImageQuotas;
  /** Several stores (`image.stores`); undefined with the single store. */
  stores?: ImageStoreSet;
}

export interface ImageServicesDeps {
  config: ImageConfig;
  db: ImageKysely;
  policy: PolicyEngine;
  log: Logger;
  /** Where image data lives, and where glance-direct stages it. */
  dataStore: ImageDataStore;
  stagingStore: ImageDataStore;
  /** With `image.stores`: the stores, replacing `dataStore`. */
  namedStores?: NamedStore[];
}

export function createImageServices(d: ImageServicesDeps): ImageServices {
  const imageStore = new ImageStore(d.db);
  const memberStore = new MemberStore(d.db);
  const c = d.config;
  const quotas = new ImageQuotas(imageStore, {
    imageCount: c.quotaImageCount,
    imageSizeTotal: c.quotaImageSizeTotal,
    stageTotal: c.quotaImageStageTotal,
    properties: c.propertyQuota,
    tags: c.tagQuota,
    members: c.memberQuota,
    sizeCap: c.sizeCap,
  });
  const stores = d.namedStores?.length ? new ImageStoreSet(d.namedStores, c.defaultStore, new StoreCopyStore(d.db)) : undefined;
  // With several stores the set is the data store: deleting an image's data deletes every copy.
  const dataStore = stores ?? d.dataStore;
  const webDownload = new WebDownloadRules({ allowedPorts: c.webDownloadAllowedPorts, disallowedHosts: c.webDownloadDisallowedHosts });
  const locations = new ImageLocationService({
    store: new LocationStore(d.db),
    data: dataStore,
    rules: webDownload,
    show: c.showMultipleLocations,
  });
  const images = new ImageService({
    images: imageStore,
    members: memberStore,
    data: dataStore,
    staging: d.stagingStore,
    quotas,
    locations,
  });
  return {
    config: c,
    policy: d.policy,
    images,
    members: new MemberService(images, memberStore, quotas),
    data: new ImageDataService({
      images,
      store: imageStore,
      data: dataStore,
      staging: d.stagingStore,
      quotas,
      webDownload,
      log: d.log,
      stores,
      external: locations,
    }),
    quotas,
    stores,
  };
}
