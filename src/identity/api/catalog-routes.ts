import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { EndpointInput, ServiceInput } from '../domain/catalog-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { requireMatchingId } from './domain-routes.js';
import { collectionLinks, enforce } from './route-helpers.js';
import { endpointView, serviceView } from './views.js';

// Keystone's catalog schemas: known fields are typed, anything else is kept as an extra attribute.
const ServiceName = Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' });
const serviceProps = {
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  name: Type.Optional(ServiceName),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])),
  enabled: Type.Optional(Type.Boolean()),
};
const ServiceCreate = Type.Object(
  { service: Type.Object({ ...serviceProps, type: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: true }) },
  { additionalProperties: false },
);
const ServiceUpdate = Type.Object(
  { service: Type.Object({ ...serviceProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);

const Interface = Type.Union([Type.Literal('public'), Type.Literal('internal'), Type.Literal('admin')]);
const Url = Type.String({ minLength: 1, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' });
const RefId = Type.String({ minLength: 1, maxLength: 255 });
const endpointProps = {
  interface: Type.Optional(Interface),
  service_id: Type.Optional(RefId),
  url: Type.Optional(Url),
  region_id: Type.Optional(RefId),
  region: Type.Optional(RefId),
  enabled: Type.Optional(Type.Boolean()),
};
const EndpointCreate = Type.Object(
  {
    endpoint: Type.Object({ ...endpointProps, interface: Interface, service_id: RefId, url: Url }, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
const EndpointUpdate = Type.Object(
  { endpoint: Type.Object({ ...endpointProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);

const ServiceParam = Type.Object({ service_id: Type.String({ minLength: 1, maxLength: 64 }) });
const EndpointParam = Type.Object({ endpoint_id: Type.String({ minLength: 1, maxLength: 64 }) });
const Q = Type.Optional(Type.String());
const ServiceQuery = Type.Object({ type: Q, name: Q });
const EndpointQuery = Type.Object({ service_id: Q, interface: Q, region_id: Q });

/** The substitutions Keystone allows in endpoint URLs (`$(project_id)s`, ...). */
const URL_SUBSTITUTIONS = new Set([
  'tenant_id',
  'project_id',
  'user_id',
  'public_bind_host',
  'admin_bind_host',
  'compute_host',
  'admin_port',
  'public_port',
  'public_endpoint',
]);

/**
 * Keystone formats a new endpoint's URL with Python's `%` against the
 * allowed substitutions and refuses it when that fails: an unknown
 * `$(name)s`, or a stray `%` (percent-encoding included).
 */
export function checkEndpointUrl(url: string): void {
  const s = url.replaceAll('$(', '%(');
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i + 1)) {
    if (s[i + 1] === '%') {
      i++;
      continue;
    }
    const m = /^%\(([^)]*)\)[#0\- +]*\d*(?:\.\d*)?[hlL]?[sra]/.exec(s.slice(i));
    if (!m || !URL_SUBSTITUTIONS.has(m[1] ?? '')) {
      throw badRequest(`Cannot create an endpoint with an invalid URL: ${url}.`, 'validation_error');
    }
    i += m[0].length - 1;
  }
}

/** A null description reads back as empty, as the service always has one. */
function serviceInput(body: ServiceInput & { description?: string | null }): ServiceInput {
  const { description, ...rest } = body;
  return description === undefined ? rest : { ...rest, description: description ?? '' };
}

/** /v3/services and /v3/endpoints */
export function registerCatalogRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, catalog } = svc;

  app.get('/v3/services', { schema: { querystring: ServiceQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_services');
    const q = req.query as { type?: string; name?: string };
    const list = (await catalog.listServices({ type: q.type })).filter((s) => q.name === undefined || s.name === q.name);
    return { services: list.map((s) => serviceView(req, s)), links: collectionLinks(req) };
  });

  app.get('/v3/services/:service_id', { schema: { params: ServiceParam } }, async (req) => {
    enforce(policy, req, 'identity:get_service');
    const { service_id } = req.params as { service_id: string };
    return { service: serviceView(req, await catalog.getService(service_id)) };
  });

  app.post('/v3/services', { schema: { body: ServiceCreate } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_service');
    const { service } = req.body as { service: ServiceInput };
    return reply.code(201).send({ service: serviceView(req, await catalog.createService(serviceInput(service))) });
  });

  app.patch('/v3/services/:service_id', { schema: { params: ServiceParam, body: ServiceUpdate } }, async (req) => {
    enforce(policy, req, 'identity:update_service');
    const { service_id } = req.params as { service_id: string };
    const { service } = req.body as { service: ServiceInput & { id?: string } };
    requireMatchingId(service, service_id);
    const { id: _id, ...changes } = service;
    return { service: serviceView(req, await catalog.updateService(service_id, serviceInput(changes))) };
  });

  app.delete('/v3/services/:service_id', { schema: { params: ServiceParam } }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_service');
    const { service_id } = req.params as { service_id: string };
    await catalog.deleteService(service_id);
    return reply.code(204).send();
  });

  app.get('/v3/endpoints', { schema: { querystring: EndpointQuery } }, async (req) => {
    enforce(policy, req, 'identity:list_endpoints');
    const q = req.query as { service_id?: string; interface?: string; region_id?: string };
    const list = await catalog.listEndpoints({ serviceId: q.service_id, interface: q.interface, regionId: q.region_id });
    return { endpoints: list.map((e) => endpointView(req, e)), links: collectionLinks(req) };
  });

  app.get('/v3/endpoints/:endpoint_id', { schema: { params: EndpointParam } }, async (req) => {
    enforce(policy, req, 'identity:get_endpoint');
    const { endpoint_id } = req.params as { endpoint_id: string };
    return { endpoint: endpointView(req, await catalog.getEndpoint(endpoint_id)) };
  });

  app.post('/v3/endpoints', { schema: { body: EndpointCreate } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_endpoint');
    const { endpoint } = req.body as { endpoint: EndpointInput & { url: string } };
    checkEndpointUrl(endpoint.url);
    return reply.code(201).send({ endpoint: endpointView(req, await catalog.createEndpoint(endpoint)) });
  });

  app.patch('/v3/endpoints/:endpoint_id', { schema: { params: EndpointParam, body: EndpointUpdate } }, async (req) => {
    enforce(policy, req, 'identity:update_endpoint');
    const { endpoint_id } = req.params as { endpoint_id: string };
    const { endpoint } = req.body as { endpoint: EndpointInput & { id?: string } };
    requireMatchingId(endpoint, endpoint_id);
    const { id: _id, ...changes } = endpoint;
    return { endpoint: endpointView(req, await catalog.updateEndpoint(endpoint_id, changes)) };
  });

  app.delete('/v3/endpoints/:endpoint_id', { schema: { params: EndpointParam } }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_endpoint');
    const { endpoint_id } = req.params as { endpoint_id: string };
    await catalog.deleteEndpoint(endpoint_id);
    return reply.code(204).send();
  });
}
