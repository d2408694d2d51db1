import type { FastifyRequest } from 'fastify';
import { isoMicro } from '../../lib/time.js';
import type { AppCredential } from '../domain/app-credential-service.js';
import type { Domain, Endpoint, Group, Project, Role, Service, User } from '../domain/models.js';
import { selfLinks } from './route-helpers.js';

/** JSON bodies of identity entities, shaped as Keystone renders them. */

export function domainView(req: FastifyRequest, d: Domain): Record<string, unknown> {
  return {
    ...d.extra,
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled,
    tags: [],
    options: {},
    links: selfLinks(req, `domains/${d.id}`),
  };
}

export function projectView(req: FastifyRequest, p: Project): Record<string, unknown> {
  return {
    ...p.extra,
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    parent_id: p.parentId ?? p.domainId,
    is_domain: false,
    tags: p.tags,
    options: {},
    links: selfLinks(req, `projects/${p.id}`),
  };
}

export function userView(req: FastifyRequest, u: User): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: u.passwordExpiresAt ? isoMicro(new Date(u.passwordExpiresAt)) : null,
    options: u.options,
    links: selfLinks(req, `users/${u.id}`),
  };
  if (u.defaultProjectId) v.default_project_id = u.defaultProjectId;
  return v;
}

export function groupView(req: FastifyRequest, g: Group): Record<string, unknown> {
  return { ...g.extra, id: g.id, name: g.name, domain_id: g.domainId, description: g.description, links: selfLinks(req, `groups/${g.id}`) };
}

export function roleView(req: FastifyRequest, r: Role): Record<string, unknown> {
  return {
    ...r.extra,
    id: r.id,
    name: r.name,
    domain_id: r.domainId,
    description: r.description,
    options: r.options,
    links: selfLinks(req, `roles/${r.id}`),
  };
}

/** The short role form used inside implied-role and assignment bodies. */
export function roleRefView(req: FastifyRequest, r: { id: string; name: string }): Record<string, unknown> {
  return { id: r.id, name: r.name, links: selfLinks(req, `roles/${r.id}`) };
}

export function serviceView(req: FastifyRequest, s: Service): Record<string, unknown> {
  return {
    ...s.extra,
    id: s.id,
    type: s.type,
    name: s.name,
    description: s.description,
    enabled: s.enabled,
    links: selfLinks(req, `services/${s.id}`),
  };
}

export function endpointView(req: FastifyRequest, e: Endpoint): Record<string, unknown> {
  return {
    ...e.extra,
    id: e.id,
    interface: e.interface,
    region: e.regionId,
    region_id: e.regionId,
    service_id: e.serviceId,
    url: e.url,
    enabled: e.enabled,
    links: selfLinks(req, `endpoints/${e.id}`),
  };
}

export function appCredView(req: FastifyRequest, a: AppCredential): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: a.id,
    name: a.name,
    description: a.description,
    expires_at: a.expiresAt ? isoMicro(new Date(a.expiresAt)) : null,
    project_id: a.projectId,
    user_id: a.userId,
    roles: a.roles.map((r) => ({ id: r.id, name: r.name, domain_id: null })),
    unrestricted: a.unrestricted,
    access_rules: [],
    links: selfLinks(req, `users/${a.userId}/application_credentials/${a.id}`),
  };
  if (a.secret !== undefined) v.secret = a.secret;
  return v;
}
