import type { FastifyInstance } from 'fastify';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';

/** Versions, flavors, key pairs, quotas, limits, zones, services, hypervisors, server groups (filled in by the resources part). */
export function registerResourceRoutes(_app: FastifyInstance, _services: ResourceServicesImpl): void {}
