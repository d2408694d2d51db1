import type { FastifyInstance } from 'fastify';
import type { IdentityServices } from '../domain/identity-services.js';

/** TODO: being written. */
export function registerCredentialRoutes(_app: FastifyInstance, _svc: IdentityServices): void {}
