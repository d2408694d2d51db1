import type { FastifyInstance } from 'fastify';
import type { ImageServices } from '../domain/image-services.js';
import { registerImageDataRoutes } from './image-data-routes.js';
import { registerImageImportRoutes } from './image-import-routes.js';
import { registerImagesRoutes } from './images-routes.js';
import { registerMemberRoutes } from './member-routes.js';
import { registerSchemaRoutes } from './schema-routes.js';
import { registerTagRoutes } from './tag-routes.js';
import { registerVersionRoutes } from './version-routes.js';

/** Every image route module, registered once. */
const MODULES: ((app: FastifyInstance, svc: ImageServices) => void)[] = [
  registerVersionRoutes,
  registerSchemaRoutes,
  registerImagesRoutes,
  registerImageDataRoutes,
  registerImageImportRoutes,
  registerMemberRoutes,
  registerTagRoutes,
];

export function registerImageRoutes(app: FastifyInstance, svc: ImageServices): void {
  for (const register of MODULES) register(app, svc);
}
