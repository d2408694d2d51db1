import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KumoError, badRequest } from '../../lib/errors.js';
import type { ByteRange } from '../domain/image-data-service.js';
import type { ImageServices } from '../domain/image-services.js';
import { callerOf, enforce } from './route-helpers.js';

const IdParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });

/** The announced body length, if any (chunked uploads have none). */
export function contentLength(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest('Invalid Content-Length.');
  return Number(raw);
}

/** The raw body stream handed over by the octet-stream parser. */
export function bodyStream(req: FastifyRequest): Readable {
  const body = req.body as Readable | undefined;
  if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
    throw new KumoError('unsupported_media_type', 415, 'Image data must be sent as application/octet-stream.');
  }
  return body;
}

/** `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` (one range; Glance serves no multipart ranges). */
function parseRange(header: string | undefined): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw new KumoError('range_not_satisfiable', 416, `Invalid Range header: ${header}`);
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) throw new KumoError('range_not_satisfiable', 416, `Invalid Range header: ${header}`);
  return { start, end };
}

/**
 * Runs an upload; when it fails before the body was read to its end (quota,
 * bad content, conflict), the connection is closed after the error so the
 * client stops sending and its next request does not land in the leftovers.
 */
async function receiving(req: FastifyRequest, reply: FastifyReply, work: () => Promise<void>): Promise<FastifyReply> {
  try {
    await work();
  } catch (e) {
    if (!req.raw.complete) reply.header('connection', 'close');
    throw e;
  }
  return reply.code(204).send();
}

/** /v2/images/{id}/file and /v2/images/{id}/stage */
export function registerImageDataRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, data } = svc;

  app.put('/v2/images/:image_id/file', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'upload_image');
    const { image_id } = req.params as { image_id: string };
    const store = req.headers['x-image-meta-store'];
    const storeId = typeof store === 'string' && store !== '' ? store : undefined;
    return receiving(req, reply, () => data.upload(callerOf(policy, req), image_id, bodyStream(req), contentLength(req), storeId));
  });

  app.put('/v2/images/:image_id/stage', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'stage_image');
    const { image_id } = req.params as { image_id: string };
    return receiving(req, reply, () => data.stage(callerOf(policy, req), image_id, bodyStream(req), contentLength(req)));
  });

  app.get('/v2/images/:image_id/file', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'download_image');
    const { image_id } = req.params as { image_id: string };
    const d = await data.download(callerOf(policy, req), image_id, parseRange(req.headers.range));
    if (!d) return reply.code(204).send();
    reply.header('content-type', 'application/octet-stream');
    if (d.range) {
      return reply
        .code(206)
        .header('content-range', `bytes ${d.range.start}-${d.range.end}/${d.size}`)
        .header('content-length', d.range.end - d.range.start + 1)
        .send(d.stream);
    }
    if (d.checksum) reply.header('content-md5', d.checksum);
    return reply.code(200).header('content-length', d.size).send(d.stream);
  });
}
