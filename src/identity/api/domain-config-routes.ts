import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { IdentityServices } from '../domain/identity-services.js';
import type { DomainConfig } from '../domain/domain-config-service.js';
import { enforce } from './route-helpers.js';

const Name = Type.String({ minLength: 1, maxLength: 64 });
const Body = Type.Object({ config: Type.Record(Type.String(), Type.Any()) }, { additionalProperties: false });
const DomainParams = Type.Object({ domain_id: Type.String({ minLength: 1, maxLength: 64 }) });
const GroupParams = Type.Object({ domain_id: Type.String({ minLength: 1, maxLength: 64 }), group: Name });
const OptionParams = Type.Object({ domain_id: Type.String({ minLength: 1, maxLength: 64 }), group: Name, option: Name });

type P = { domain_id: string; group?: string; option?: string };

/** /v3/domains/{id}/config[/{group}[/{option}]] and /v3/domains/config[/{group}[/{option}]]/default */
export function registerDomainConfigRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, domainConfigs } = svc;

  app.get('/v3/domains/config/default', async (req) => {
    enforce(policy, req, 'identity:get_domain_config_default');
    return { config: domainConfigs.defaults() };
  });
  app.get('/v3/domains/config/:group/default', { schema: { params: Type.Object({ group: Name }) } }, async (req) => {
    enforce(policy, req, 'identity:get_domain_config_default');
    return { config: domainConfigs.defaults((req.params as { group: string }).group) };
  });
  app.get('/v3/domains/config/:group/:option/default', { schema: { params: Type.Object({ group: Name, option: Name }) } }, async (req) => {
    enforce(policy, req, 'identity:get_domain_config_default');
    const p = req.params as { group: string; option: string };
    return { config: domainConfigs.defaults(p.group, p.option) };
  });

  app.put('/v3/domains/:domain_id/config', { schema: { params: DomainParams, body: Body } }, async (req, reply) => {
    enforce(policy, req, 'identity:create_domain_config');
    const r = await domainConfigs.create((req.params as P).domain_id, (req.body as { config: DomainConfig }).config);
    return reply.code(r.created ? 201 : 200).send({ config: r.config });
  });

  for (const [path, params] of [
    ['/v3/domains/:domain_id/config', DomainParams],
    ['/v3/domains/:domain_id/config/:group', GroupParams],
    ['/v3/domains/:domain_id/config/:group/:option', OptionParams],
  ] as const) {
    app.get(path, { schema: { params } }, async (req) => {
      enforce(policy, req, 'identity:get_domain_config');
      const p = req.params as P;
      return { config: await domainConfigs.get(p.domain_id, p.group, p.option) };
    });
    app.patch(path, { schema: { params, body: Body } }, async (req) => {
      enforce(policy, req, 'identity:update_domain_config');
      const p = req.params as P;
      return { config: await domainConfigs.update(p.domain_id, (req.body as { config: DomainConfig }).config, p.group, p.option) };
    });
    app.delete(path, { schema: { params } }, async (req, reply) => {
      enforce(policy, req, 'identity:delete_domain_config');
      const p = req.params as P;
      await domainConfigs.delete(p.domain_id, p.group, p.option);
      return reply.code(204).send();
    });
  }
}
