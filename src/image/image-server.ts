import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { KumoConfig } from '../lib/config/config.js';
import { KumoError, notFound } from '../lib/errors.js';
import { openMigratedDatabase } from '../lib/db/migrations.js';
import { createServiceApp } from '../lib/http/app.js';
import type { TokenValidator } from '../lib/http/auth-context.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { PolicyEngine } from '../lib/policy/policy-engine.js';
import { registerCacheRoutes } from './api/cache-routes.js';
import { registerImageRoutes } from './api/image-routes.js';
import { registerMetadefRoutes } from './api/metadef-routes.js';
import { PATCH_TYPES } from './api/json-patch.js';
import { ImageCache } from './domain/image-cache.js';
import { createImageServices, type ImageServices } from './domain/image-services.js';
import { parseStoreList } from './domain/image-store-set.js';
import { createMetadefServices } from './domain/metadef-services.js';
import { IMAGE_POLICY } from './domain/policy-defaults.js';
import { FilesystemStore } from './store/filesystem-store.js';
import type { ImageDatabase } from './store/image-database.js';
import { imageMigrations } from './store/migrations/index.js';
import type { ImageDB } from './store/schema.js';

/** A ready image service: its database, domain services and HTTP app. */
export interface ImageServer {
  readonly app: FastifyInstance;
  readonly services: ImageServices;
  readonly database: ImageDatabase;
  close(): Promise<void>;
}

export interface ImageServerDeps {
  logger: Logger;
  metrics: Metrics;
  /** Validates X-Auth-Token: the identity service's own validator when co-located, a remote one otherwise. */
  tokens: TokenValidator;
}

export function openImageDatabase(config: KumoConfig): Promise<ImageDatabase> {
  return openMigratedDatabase<ImageDB>(config.image.databaseUrl, 'image', imageMigrations);
}

export async function createImageServer(config: KumoConfig, deps: ImageServerDeps): Promise<ImageServer> {
  const database = await openImageDatabase(config);
  try {
    const policy = await PolicyEngine.fromFile(config.image.policyFile || undefined, IMAGE_POLICY);
    const services = createImageServices({
      config: config.image,
      db: database.db,
      policy,
      log: deps.logger.child({ service: 'image' }),
      dataStore: new FilesystemStore({ dir: config.image.storeDir }),
      stagingStore: new FilesystemStore({ dir: config.image.stagingDir }),
      namedStores: parseStoreList(config.image.stores).map((s) => ({
        ...s,
        data: new FilesystemStore({ dir: join(config.image.storeDir, s.id) }),
      })),
    });
    const app = createServiceApp({
      name: 'image',
      faultStyle: 'glance',
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: config.image.bodyLimit,
      tokens: deps.tokens,
      healthy: () => database.ping(),
    });
    app.addContentTypeParser([...PATCH_TYPES], { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new KumoError('malformed_json', 400, 'Malformed JSON in request body.'), undefined);
      }
    });
    // Image data is streamed to the store as it arrives, never buffered whole.
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    // The router ignores trailing slashes, but Glance answers `/v2/images/` (an empty id) with 404.
    app.addHook('onRequest', async (req) => {
      if (req.url.split('?')[0] === '/v2/images/') throw notFound('No image found with an empty ID', 'image_not_found');
    });
    registerImageRoutes(app, services);
    let cache: ImageCache | undefined;
    if (config.image.cacheEnabled) {
      // The cache is this process's own (as Glance's is per node): what an earlier run left is stale.
      const dir = join(config.image.storeDir, 'cache');
      rmSync(dir, { recursive: true, force: true });
      cache = new ImageCache({
        images: services.images,
        data: services.data,
        store: new FilesystemStore({ dir }),
        intervalMs: config.image.cachePrefetcherInterval * 1000,
        log: deps.logger.child({ service: 'image' }),
      });
      registerCacheRoutes(app, policy, cache);
      const reader = cache;
      services.data.useCache((id, range) => reader.read(id, range));
    }
    registerMetadefRoutes(app, {
      policy,
      metadefs: createMetadefServices(database.db, { limitDefault: config.image.limitParamDefault, limitMax: config.image.apiLimitMax }),
    });
    return {
      app,
      services,
      database,
      async close() {
        await app.close();
        await cache?.close();
        await services.data.close();
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
