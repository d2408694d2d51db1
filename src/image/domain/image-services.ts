import type { ImageConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ImageDataStore } from '../store/image-data-store.js';
import type { ImageKysely } from '../store/image-database.js';
import { ImageStore } from '../store/image-store.js';
import { MemberStore } from '../store/member-store.js';
import { ImageDataService } from './image-data-service.js';
import { ImageQuotas } from './image-quotas.js';
import { ImageService } from './image-service.js';
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
}

export interface ImageServicesDeps {
  config: ImageConfig;
  db: ImageKysely;
  policy: PolicyEngine;
  log: Logger;
  /** Where image data lives, and where glance-direct stages it. */
  dataStore: ImageDataStore;
  stagingStore: ImageDataStore;
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
  const images = new ImageService({ images: imageStore, members: memberStore, data: d.dataStore, staging: d.stagingStore, quotas });
  const webDownload = new WebDownloadRules({ allowedPorts: c.webDownloadAllowedPorts, disallowedHosts: c.webDownloadDisallowedHosts });
  return {
    config: c,
    policy: d.policy,
    images,
    members: new MemberService(images, memberStore, quotas),
    data: new ImageDataService({ images, store: imageStore, data: d.dataStore, staging: d.stagingStore, quotas, webDownload, log: d.log }),
    quotas,
  };
}
