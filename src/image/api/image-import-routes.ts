import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../lib/errors.js';
import type { ImageServices } from '../domain/image-services.js';
import { callerOf, enforce } from './route-helpers.js';

const IdParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });
const ImportBody = Type.Object(
  {
    method: Type.Object(
      { name: Type.String({ minLength: 1 }), uri: Type.Optional(Type.String({ minLength: 1 })) },
      { additionalProperties: true },
    ),
    stores: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 64 })),
    all_stores: Type.Optional(Type.Boolean()),
    all_stores_must_succeed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Interoperable image import and the /v2/info documents. */
export function registerImageImportRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, data, quotas, stores } = svc;

  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: data.importMethods() },
  }));

  app.get('/v2/info/stores', async () => {
    if (!stores) throw notFound('Multi backend is not supported at this site.', 'multistore_disabled');
    return {
      stores: stores.stores.map((s) => ({
        id: s.id,
        description: `Filesystem store ${s.id}`,
        ...(s === stores.defaultStore ? { default: true } : {}),
      })),
    };
  });

  app.get('/v2/info/usage', async (req) => {
    const caller = callerOf(policy, req);
    if (caller.projectId === null) return { usage: {} };
    return { usage: await quotas.usage(caller.projectId) };
  });

  app.post('/v2/images/:image_id/import', { schema: { params: IdParam, body: ImportBody } }, async (req, reply) => {
    enforce(policy, req, 'add_import');
    const { image_id } = req.params as { image_id: string };
    const body = req.body as {
      method: { name: string; uri?: string };
      stores?: string[];
      all_stores?: boolean;
      all_stores_must_succeed?: boolean;
    };
    await data.import(callerOf(policy, req), image_id, body.method, {
      stores: body.stores,
      allStores: body.all_stores,
      allStoresMustSucceed: body.all_stores_must_succeed,
    });
    return reply.code(202).send();
  });
}
