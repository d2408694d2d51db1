import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden } from '../../lib/errors.js';
import type { AppCredential, AppCredentialInput, Delegator } from '../domain/app-credential-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { authOf, collectionLinks, enforce } from './route-helpers.js';
import { appCredView } from './views.js';

// Keystone's application_credential_create schema.
const RoleRef = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
);
const AccessRule = Type.Object(
  {
    path: Type.Optional(Type.String({ maxLength: 225, pattern: '^\\/.*' })),
    method: Type.Optional(Type.String({ pattern: '^(POST|GET|HEAD|PATCH|PUT|DELETE)$' })),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const Create = Type.Object(
  {
    application_credential: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 255, pattern: '[\\S]+' }),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])),
        secret: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
        expires_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        roles: Type.Optional(Type.Array(RoleRef)),
        unrestricted: Type.Optional(Type.Boolean()),
        access_rules: Type.Optional(Type.Array(AccessRule)),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);
const UserParam = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) });
const ItemParam = Type.Object({
  user_id: Type.String({ minLength: 1, maxLength: 64 }),
  application_credential_id: Type.String({ minLength: 1, maxLength: 64 }),
});
const ListQuery = Type.Object({ name: Type.Optional(Type.String()) });

/**
 * Keystone renders an application credential's expiry as Python's isoformat
 * of the stored value, to the microsecond and without a zone ("…T12:00:00.123456").
 */
function expiryText(at: string): string {
  const m = /^(.{19})(?:\.(\d+))?Z?$/.exec(at);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}` : at;
}

function view(req: FastifyRequest, a: AppCredential): Record<string, unknown> {
  return { ...appCredView(req, a), expires_at: a.expiresAt ? expiryText(a.expiresAt) : null };
}

/** /v3/users/{user_id}/application_credentials */
export function registerAppCredentialRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, appCreds } = svc;
  const owner = (userId: string) => ({ target: { user: { id: userId } }, user_id: userId });

  /** The caller as a delegator: its token's user, project and roles. */
  async function delegator(req: FastifyRequest): Promise<Delegator> {
    const auth = authOf(req);
    // Keystone: a trust-scoped token cannot mint credentials that would outlive the trust.
    if (auth.trustId) {
      throw forbidden(
        'You are not authorized to perform the requested action: a trust-scoped token cannot manage application credentials.',
      );
    }
    const via = auth.applicationCredentialId ? await appCreds.find(auth.applicationCredentialId) : undefined;
    return {
      userId: auth.userId,
      projectId: auth.projectId,
      roles: auth.roles,
      viaAppCred: auth.applicationCredentialId !== undefined,
      viaUnrestrictedAppCred: via?.unrestricted ?? false,
    };
  }

  /** Keystone: a restricted application credential cannot manage application credentials. */
  async function refuseRestrictedAppCred(req: FastifyRequest): Promise<void> {
    const by = await delegator(req);
    if (by.viaAppCred && !by.viaUnrestrictedAppCred) {
      throw forbidden(
        "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials.",
      );
    }
  }

  /**
   * Policy targets the credential's real owner, not the user in the path, so
   * naming oneself in the path does not open another user's credential.
   */
  async function ownerOf(id: string, pathUserId: string): Promise<string> {
    return (await appCreds.find(id))?.userId ?? pathUserId;
  }

  app.get('/v3/users/:user_id/application_credentials', { schema: { params: UserParam, querystring: ListQuery } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:list_application_credentials', owner(user_id));
    const q = req.query as { name?: string };
    const list = await appCreds.list(user_id, q.name);
    return { application_credentials: list.map((a) => view(req, a)), links: collectionLinks(req) };
  });

  app.post('/v3/users/:user_id/application_credentials', { schema: { params: UserParam, body: Create } }, async (req, reply) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:create_application_credential', owner(user_id));
    const { application_credential: input } = req.body as { application_credential: AppCredentialInput & { access_rules?: unknown[] } };
    const by = await delegator(req);
    if (by.userId !== user_id) {
      throw forbidden('You are not authorized to perform the requested action: Cannot create an application credential for another user.');
    }
    // Without enforcement of access rules, accepting them would grant more than the caller asked for.
    if (input.access_rules && input.access_rules.length > 0) {
      throw badRequest(
        "Invalid input for field 'access_rules': application credential access rules are not supported.",
        'validation_error',
      );
    }
    const created = await appCreds.create(by, input);
    return reply.code(201).send({ application_credential: view(req, created) });
  });

  app.get('/v3/users/:user_id/application_credentials/:application_credential_id', { schema: { params: ItemParam } }, async (req) => {
    const { user_id, application_credential_id: id } = req.params as { user_id: string; application_credential_id: string };
    enforce(policy, req, 'identity:get_application_credential', owner(await ownerOf(id, user_id)));
    return { application_credential: view(req, await appCreds.get(user_id, id)) };
  });

  app.delete(
    '/v3/users/:user_id/application_credentials/:application_credential_id',
    { schema: { params: ItemParam } },
    async (req, reply) => {
      const { user_id, application_credential_id: id } = req.params as { user_id: string; application_credential_id: string };
      enforce(policy, req, 'identity:delete_application_credential', owner(await ownerOf(id, user_id)));
      await refuseRestrictedAppCred(req);
      await appCreds.delete(user_id, id);
      return reply.code(204).send();
    },
  );
}
