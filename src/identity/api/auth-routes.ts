import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden } from '../../lib/errors.js';
import type { AuthRequest } from '../domain/auth-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import type { TokenData } from '../domain/token-service.js';
import { authOf, collectionLinks, enforce, queryBool, selfLinks } from './route-helpers.js';
import { domainView, projectView } from './views.js';

const Str = Type.String({ maxLength: 1024 });
const DomainRef = Type.Object({ id: Type.Optional(Str), name: Type.Optional(Str) });
const NamedRef = Type.Object({ id: Type.Optional(Str), name: Type.Optional(Str), domain: Type.Optional(DomainRef) });

const AuthBody = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 8 }),
      password: Type.Optional(
        Type.Object({
          user: Type.Object({
            id: Type.Optional(Str),
            name: Type.Optional(Str),
            domain: Type.Optional(DomainRef),
            password: Type.String({ maxLength: 4096 }),
          }),
        }),
      ),
      token: Type.Optional(Type.Object({ id: Type.String({ minLength: 1, maxLength: 2048 }) })),
      application_credential: Type.Optional(
        Type.Object({
          id: Type.Optional(Str),
          name: Type.Optional(Str),
          secret: Type.String({ maxLength: 4096 }),
          user: Type.Optional(NamedRef),
        }),
      ),
    }),
    scope: Type.Optional(
      Type.Union([
        Type.Literal('unscoped'),
        Type.Object({
          project: Type.Optional(NamedRef),
          domain: Type.Optional(DomainRef),
          system: Type.Optional(Type.Object({ all: Type.Optional(Type.Boolean()) })),
          'OS-TRUST:trust': Type.Optional(Type.Object({ id: Type.Optional(Str) })),
        }),
      ]),
    ),
  }),
});

const TokenQuery = Type.Object({ nocatalog: Type.Optional(Type.String()), allow_expired: Type.Optional(Type.String()) });

function subjectToken(req: FastifyRequest): string {
  const t = req.headers['x-subject-token'];
  if (typeof t !== 'string' || t === '') throw badRequest('X-Subject-Token header is required.', 'validation_error');
  return t;
}

function withCatalog(req: FastifyRequest): boolean {
  const q = req.query as { nocatalog?: string };
  return !(q.nocatalog !== undefined && queryBool(q.nocatalog));
}

/** /v3/auth/tokens and /v3/auth/{catalog,projects,domains,system}. */
export function registerAuthRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, tokens, auth, assignments, resources } = svc;

  app.post('/v3/auth/tokens', { config: { public: true }, schema: { body: AuthBody, querystring: TokenQuery } }, async (req, reply) => {
    const { auth: body } = req.body as { auth: AuthRequest };
    const data = await auth.authenticate(body);
    return reply
      .code(201)
      .header('x-subject-token', data.token)
      .send({ token: await tokens.body(data, withCatalog(req)) });
  });

  // Keystone validates the subject token before the policy check: an invalid token is a 404 for everyone.
  const validateSubject = async (req: FastifyRequest, action: string): Promise<TokenData> => {
    const subject = subjectToken(req);
    const q = req.query as { allow_expired?: string };
    const data = await tokens.validate(subject, { allowExpired: queryBool(q.allow_expired) ?? false });
    enforce(policy, req, action, { target: { token: { user_id: data.user.id } } });
    return data;
  };

  app.get('/v3/auth/tokens', { exposeHeadRoute: false, schema: { querystring: TokenQuery } }, async (req, reply) => {
    const data = await validateSubject(req, 'identity:validate_token');
    return reply.header('x-subject-token', data.token).send({ token: await tokens.body(data, withCatalog(req)) });
  });

  app.head('/v3/auth/tokens', { schema: { querystring: TokenQuery } }, async (req, reply) => {
    const data = await validateSubject(req, 'identity:check_token');
    return reply.code(200).header('x-subject-token', data.token).send();
  });

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const data = await validateSubject(req, 'identity:revoke_token');
    await tokens.revoke(data);
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (req) => {
    enforce(policy, req, 'identity:get_auth_catalog');
    const ctx = authOf(req);
    if (!ctx.projectId && !ctx.domainId && !ctx.system) throw forbidden('A scoped token is required to get a catalog.');
    const data = await tokens.validate(ctx.token);
    return { catalog: await tokens.catalog(data), links: { self: selfLinks(req, 'auth/catalog').self, previous: null, next: null } };
  });

  app.get('/v3/auth/projects', async (req) => {
    enforce(policy, req, 'identity:get_auth_projects');
    const projects = (await assignments.projectsOfUser(authOf(req).userId)).filter((p) => p.enabled);
    return { projects: projects.map((p) => projectView(req, p)), links: collectionLinks(req) };
  });

  app.get('/v3/auth/domains', async (req) => {
    enforce(policy, req, 'identity:get_auth_domains');
    const ids = await assignments.domainIdsOfUser(authOf(req).userId);
    const domains = (await resources.listDomains({ ids })).filter((d) => d.enabled);
    return { domains: domains.map((d) => domainView(req, d)), links: collectionLinks(req) };
  });

  app.get('/v3/auth/system', async (req) => {
    enforce(policy, req, 'identity:get_auth_system');
    const roles = await assignments.rolesOnSystem(authOf(req).userId);
    return { system: roles.length > 0 ? [{ all: true }] : [], links: collectionLinks(req) };
  });
}
