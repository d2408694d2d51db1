import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { PlacementServices } from '../domain/placement-services.js';
import { enforce, mv, noContent, requireVersion, validBody } from './route-helpers.js';

const CUSTOM = { type: 'string', pattern: '^CUSTOM_[A-Z0-9_]+$', maxLength: 255 };
const BODY = { type: 'object', properties: { name: CUSTOM }, required: ['name'], additionalProperties: false };

const view = (name: string) => ({ name, links: [{ rel: 'self', href: `/resource_classes/${name}` }] });
const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

/** /resource_classes (1.2+): standard classes are read-only, CUSTOM_* ones are the operator's. */
export function registerResourceClassRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, resourceClasses } = svc;

  app.get('/resource_classes', async (req) => {
    requireVersion(req, '1.2');
    enforce(policy, req, 'placement:resource_classes:list');
    return { resource_classes: (await resourceClasses.list()).map(view) };
  });

  app.post('/resource_classes', async (req, reply) => {
    requireVersion(req, '1.2');
    enforce(policy, req, 'placement:resource_classes:create');
    const { name } = validBody<{ name: string }>(BODY, req.body);
    await resourceClasses.create(name);
    return reply.code(201).header('location', `/resource_classes/${name}`).send();
  });

  app.get('/resource_classes/:name', async (req) => {
    requireVersion(req, '1.2');
    enforce(policy, req, 'placement:resource_classes:show');
    return view(await resourceClasses.get(nameOf(req)));
  });

  app.put('/resource_classes/:name', async (req, reply) => {
    requireVersion(req, '1.2');
    enforce(policy, req, 'placement:resource_classes:update');
    const name = nameOf(req);
    if (!mv(req).atLeast('1.7')) {
      // 1.2–1.6 renamed a custom class; Kumo keeps names immutable, as placement itself does from 1.7.
      validBody<{ name: string }>(BODY, req.body);
      throw badRequest('Renaming a resource class is not supported; use microversion 1.7 or later to create it idempotently.');
    }
    if (!/^CUSTOM_[A-Z0-9_]+$/.test(name) || name.length > 255) {
      throw badRequest(`Invalid resource class name ${name}: custom resource classes must match ^CUSTOM_[A-Z0-9_]+$.`);
    }
    const created = await resourceClasses.ensure(name);
    if (created) return reply.code(201).header('location', `/resource_classes/${name}`).send();
    return noContent(reply);
  });

  app.delete('/resource_classes/:name', async (req, reply) => {
    requireVersion(req, '1.2');
    enforce(policy, req, 'placement:resource_classes:delete');
    await resourceClasses.delete(nameOf(req));
    return noContent(reply);
  });
}
