import type { FastifyInstance } from 'fastify';
import { Microversion, microversionHeaders, negotiateMicroversion, type MicroversionPolicy } from '../../lib/http/microversion.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Compute API microversion of this request (2.1 when the client names none). */
    microversion: Microversion;
  }
}

/** Nova Zed: 2.1 to 2.93. */
export const COMPUTE_MICROVERSIONS: MicroversionPolicy = {
  serviceType: 'compute',
  legacyHeader: 'X-OpenStack-Nova-API-Version',
  min: '2.1',
  max: '2.93',
};

/**
 * Negotiates the microversion of every /v2.1 request and announces it in the
 * response, with Nova's own name for the request id (x-compute-request-id,
 * which clients such as Tempest read to find instance actions).
 */
export function registerMicroversions(app: FastifyInstance): void {
  app.decorateRequest('microversion', null as unknown as Microversion);
  // onSend: also on faults, whose onRequest chain may have stopped early.
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-compute-request-id', req.id);
  });
  app.addHook('onRequest', async (req, reply) => {
    req.microversion = new Microversion(2, 1);
    if (!req.url.startsWith('/v2.1')) return;
    const v = negotiateMicroversion(req.headers, COMPUTE_MICROVERSIONS);
    req.microversion = v;
    for (const [k, h] of Object.entries(microversionHeaders(v, COMPUTE_MICROVERSIONS))) reply.header(k, h);
  });
}
