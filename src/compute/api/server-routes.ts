import type { FastifyInstance } from 'fastify';
import type { ServerServices } from '../domain/server-services.js';

/** /servers and everything under it (filled in by the servers part). */
export function registerServerRoutes(_app: FastifyInstance, _services: ServerServices): void {}
