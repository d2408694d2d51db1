import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Consumer } from '../domain/consumer-service.js';
import type { EndpointGroup, EndpointGroupInput } from '../domain/endpoint-filter-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { collectionLinks, enforce, selfLinks } from './route-helpers.js';
import { endpointView, projectView } from './views.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const EpgBody = Type.Object(
  {
    endpoint_group: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])),
        filters: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 255 }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const ConsumerBody = Type.Object(
  {
    consumer: Type.Object(
      { description: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);

const EPG = '/v3/OS-EP-FILTER/endpoint_groups';

function groupView(req: FastifyRequest, g: EndpointGroup): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    filters: g.filters,
    links: selfLinks(req, `OS-EP-FILTER/endpoint_groups/${g.id}`),
  };
}

function consumerView(req: FastifyRequest, c: Consumer): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...c.extra,
    id: c.id,
    description: c.description,
    links: selfLinks(req, `OS-OAUTH1/consumers/${c.id}`),
  };
  if (c.secret !== undefined) v.secret = c.secret;
  return v;
}

/** OS-EP-FILTER (endpoint groups, project endpoints) and OS-OAUTH1 consumers. */
export function registerExtensionRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, endpointFilter, consumers, resources } = svc;
  const p = <T>(req: FastifyRequest): T => req.params as T;

  // ---- endpoint groups
  app.get(EPG, { schema: { querystring: Type.Object({ name: Type.Optional(Type.String()) }) } }, async (req) => {
    enforce(policy, req, 'identity:list_endpoint_groups');
    const groups = await endpointFilter.listGroups((req.query as { name?: string }).name);
    return { endpoint_groups: groups.map((g) => groupView(req, g)), links: collectionLinks(req) };
  });
  app.post(EPG, { schema: { body: EpgBody } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_endpoint_group');
    const g = await endpointFilter.createGroup((req.body as { endpoint_group: EndpointGroupInput }).endpoint_group);
    return reply.code(201).send({ endpoint_group: groupView(req, g) });
  });
  const GroupParams = { params: Type.Object({ endpoint_group_id: Id }) };
  app.get(`${EPG}/:endpoint_group_id`, { schema: GroupParams }, async (req) => {
    enforce(policy, req, 'identity:get_endpoint_group');
    return { endpoint_group: groupView(req, await endpointFilter.getGroup(p<{ endpoint_group_id: string }>(req).endpoint_group_id)) };
  });
  app.patch(`${EPG}/:endpoint_group_id`, { schema: { ...GroupParams, body: EpgBody } }, async (req) => {
    enforce(policy, req, 'identity:update_endpoint_group');
    const g = await endpointFilter.updateGroup(
      p<{ endpoint_group_id: string }>(req).endpoint_group_id,
      (req.body as { endpoint_group: EndpointGroupInput }).endpoint_group,
    );
    return { endpoint_group: groupView(req, g) };
  });
  app.delete(`${EPG}/:endpoint_group_id`, { schema: GroupParams }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_endpoint_group');
    await endpointFilter.deleteGroup(p<{ endpoint_group_id: string }>(req).endpoint_group_id);
    return reply.code(204).send();
  });
  app.get(`${EPG}/:endpoint_group_id/endpoints`, { schema: GroupParams }, async (req) => {
    enforce(policy, req, 'identity:list_endpoints_associated_with_endpoint_group');
    const eps = await endpointFilter.groupEndpoints(p<{ endpoint_group_id: string }>(req).endpoint_group_id);
    return { endpoints: eps.map((e) => endpointView(req, e)), links: collectionLinks(req) };
  });
  app.get(`${EPG}/:endpoint_group_id/projects`, { schema: GroupParams }, async (req) => {
    enforce(policy, req, 'identity:list_projects_associated_with_endpoint_group');
    const ids = await endpointFilter.groupProjects(p<{ endpoint_group_id: string }>(req).endpoint_group_id);
    const projects = await resources.listProjects({ ids });
    return { projects: projects.map((x) => projectView(req, x)), links: collectionLinks(req) };
  });
  const GroupProject = { params: Type.Object({ endpoint_group_id: Id, project_id: Id }) };
  type GP = { endpoint_group_id: string; project_id: string };
  app.put(`${EPG}/:endpoint_group_id/projects/:project_id`, { schema: GroupProject }, async (req, reply) => {
    enforce(policy, req, 'identity:add_endpoint_group_to_project');
    await endpointFilter.associateGroup(p<GP>(req).endpoint_group_id, p<GP>(req).project_id);
    return reply.code(204).send();
  });
  app.get(`${EPG}/:endpoint_group_id/projects/:project_id`, { schema: GroupProject }, async (req) => {
    enforce(policy, req, 'identity:get_endpoint_group_in_project');
    await endpointFilter.checkGroupProject(p<GP>(req).endpoint_group_id, p<GP>(req).project_id);
    return { project: projectView(req, await resources.getProject(p<GP>(req).project_id)) };
  });
  app.delete(`${EPG}/:endpoint_group_id/projects/:project_id`, { schema: GroupProject }, async (req, reply) => {
    enforce(policy, req, 'identity:remove_endpoint_group_from_project');
    await endpointFilter.dissociateGroup(p<GP>(req).endpoint_group_id, p<GP>(req).project_id);
    return reply.code(204).send();
  });

  // ---- project ↔ endpoint associations
  const ProjectParams = { params: Type.Object({ project_id: Id }) };
  app.get('/v3/OS-EP-FILTER/projects/:project_id/endpoint_groups', { schema: ProjectParams }, async (req) => {
    enforce(policy, req, 'identity:list_endpoint_groups_for_project');
    const groups = await endpointFilter.projectGroups(p<{ project_id: string }>(req).project_id);
    return { endpoint_groups: groups.map((g) => groupView(req, g)), links: collectionLinks(req) };
  });
  app.get('/v3/OS-EP-FILTER/projects/:project_id/endpoints', { schema: ProjectParams }, async (req) => {
    enforce(policy, req, 'identity:list_endpoints_for_project');
    const eps = await endpointFilter.projectEndpoints(p<{ project_id: string }>(req).project_id);
    return { endpoints: eps.map((e) => endpointView(req, e)), links: collectionLinks(req) };
  });
  const ProjectEndpoint = { params: Type.Object({ project_id: Id, endpoint_id: Id }) };
  type PE = { project_id: string; endpoint_id: string };
  app.put('/v3/OS-EP-FILTER/projects/:project_id/endpoints/:endpoint_id', { schema: ProjectEndpoint }, async (req, reply) => {
    enforce(policy, req, 'identity:add_endpoint_to_project');
    await endpointFilter.associateEndpoint(p<PE>(req).project_id, p<PE>(req).endpoint_id);
    return reply.code(204).send();
  });
  app.get('/v3/OS-EP-FILTER/projects/:project_id/endpoints/:endpoint_id', { schema: ProjectEndpoint }, async (req, reply) => {
    enforce(policy, req, 'identity:check_endpoint_in_project');
    await endpointFilter.checkEndpoint(p<PE>(req).project_id, p<PE>(req).endpoint_id);
    return reply.code(204).send();
  });
  app.delete('/v3/OS-EP-FILTER/projects/:project_id/endpoints/:endpoint_id', { schema: ProjectEndpoint }, async (req, reply) => {
    enforce(policy, req, 'identity:remove_endpoint_from_project');
    await endpointFilter.dissociateEndpoint(p<PE>(req).project_id, p<PE>(req).endpoint_id);
    return reply.code(204).send();
  });
  app.get('/v3/OS-EP-FILTER/endpoints/:endpoint_id/projects', { schema: { params: Type.Object({ endpoint_id: Id }) } }, async (req) => {
    enforce(policy, req, 'identity:list_projects_for_endpoint');
    const ids = await endpointFilter.endpointProjects(p<{ endpoint_id: string }>(req).endpoint_id);
    return { projects: (await resources.listProjects({ ids })).map((x) => projectView(req, x)), links: collectionLinks(req) };
  });

  // ---- OAuth1 consumers
  const C = '/v3/OS-OAUTH1/consumers';
  const ConsumerParams = { params: Type.Object({ consumer_id: Id }) };
  app.get(C, async (req) => {
    enforce(policy, req, 'identity:list_consumers');
    return { consumers: (await consumers.list()).map((c) => consumerView(req, c)), links: collectionLinks(req) };
  });
  app.post(C, { schema: { body: ConsumerBody } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_consumer');
    const c = await consumers.create((req.body as { consumer: { description?: string | null } }).consumer);
    return reply.code(201).send({ consumer: consumerView(req, c) });
  });
  app.get(`${C}/:consumer_id`, { schema: ConsumerParams }, async (req) => {
    enforce(policy, req, 'identity:get_consumer');
    return { consumer: consumerView(req, await consumers.get(p<{ consumer_id: string }>(req).consumer_id)) };
  });
  app.patch(`${C}/:consumer_id`, { schema: { ...ConsumerParams, body: ConsumerBody } }, async (req) => {
    enforce(policy, req, 'identity:update_consumer');
    const c = await consumers.update(
      p<{ consumer_id: string }>(req).consumer_id,
      (req.body as { consumer: { description?: string | null } }).consumer,
    );
    return { consumer: consumerView(req, c) };
  });
  app.delete(`${C}/:consumer_id`, { schema: ConsumerParams }, async (req, reply) => {
    enforce(policy, req, 'identity:delete_consumer');
    await consumers.delete(p<{ consumer_id: string }>(req).consumer_id);
    return reply.code(204).send();
  });
}
