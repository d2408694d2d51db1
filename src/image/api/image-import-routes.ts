import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../lib/errors.js';
import type { ImageServices } from '../domain/image-services.js';
import { IMPORT_METHODS } from '../domain/image-data-service.js';
import { callerOf, enforce } from './route-helpers.js';

const IdParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });
const ImportBody = Type.Object(
  {
    method: Type.Object(
      { name: Type.String({ minLength: 1 }), uri: Type.Optional(Type.String({ minLength: 1 })) },
      { additionalProperties: true },
    ),
    all_stores: Type.Optional(Type.Boolean()),
    all_stores_must_succeed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Interoperable image import and the /v2/info documents. */
export function registerImageImportRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, data, quotas } = svc;

  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: [...IMPORT_METHODS] },
  }));

  app.get('/v2/info/stores', async () => {
    throw notFound('Multi backend is not supported at this site.', 'multistore_disabled');
  });

  app.get('/v2/info/usage', async (req) => {
    const caller = callerOf(policy, req);
    if (caller.projectId === null) return { usage: {} };
    return { usage: await quotas.usage(caller.projectId) };
  });

  app.post('/v2/images/:image_id/import', { schema: { params: IdParam, body: ImportBody } }, async (req, reply) => {
    enforce(policy, req, 'add_import');
    const { image_id } = req.params as { image_id: string };
    const { method } = req.body as { method: { name: string; uri?: string } };
    await data.import(callerOf(policy, req), image_id, method);
    return reply.code(202).send();
  });
}
