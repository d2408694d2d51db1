import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../lib/errors.js';
import type { Credential, CredentialInput, Ec2Credential } from '../domain/credential-service.js';
import type { IdentityServices } from '../domain/identity-services.js';
import { requireMatchingId } from './domain-routes.js';
import { allowed, authOf, collectionLinks, enforce, selfLinks, v3Url } from './route-helpers.js';

// Keystone's credential schemas: the four known fields are strings, anything else is kept as an extra.
const Ref = Type.String({ minLength: 1, maxLength: 64 });
const credentialProps = {
  user_id: Type.Optional(Ref),
  project_id: Type.Optional(Ref),
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  blob: Type.Optional(Type.String({ maxLength: 65535 })),
};
const CredentialCreate = Type.Object(
  {
    credential: Type.Object(
      { ...credentialProps, user_id: Ref, type: Type.String({ minLength: 1, maxLength: 255 }), blob: Type.String({ maxLength: 65535 }) },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: false },
);
const CredentialUpdate = Type.Object(
  { credential: Type.Object({ ...credentialProps, id: Type.Optional(Type.String()) }, { additionalProperties: true, minProperties: 1 }) },
  { additionalProperties: false },
);
// openstack `ec2 credentials create` sends the project bare: {"tenant_id": "..."}.
const Ec2Create = Type.Object({ tenant_id: Ref }, { additionalProperties: true });
const IdParam = Type.Object({ credential_id: Type.String({ minLength: 1, maxLength: 64 }) });
const UserParam = Type.Object({ user_id: Type.String({ minLength: 1, maxLength: 64 }) });
const Ec2Param = Type.Object({
  user_id: Type.String({ minLength: 1, maxLength: 64 }),
  credential_id: Type.String({ minLength: 1, maxLength: 255 }),
});
const ListQuery = Type.Object({ user_id: Type.Optional(Type.String()), type: Type.Optional(Type.String()) });

export function credentialView(req: FastifyRequest, c: Credential): Record<string, unknown> {
  return {
    ...c.extra,
    id: c.id,
    user_id: c.userId,
    project_id: c.projectId,
    type: c.type,
    blob: c.blob,
    links: selfLinks(req, `credentials/${c.id}`),
  };
}

export function ec2View(req: FastifyRequest, e: Ec2Credential): Record<string, unknown> {
  return {
    user_id: e.userId,
    tenant_id: e.projectId,
    access: e.access,
    secret: e.secret,
    trust_id: e.trustId,
    links: { self: `${v3Url(req)}/users/${e.userId}/credentials/OS-EC2/${e.access}` },
  };
}

/** What policy rules see of a credential: ownership and scope, never the secret blob. */
const target = (c: Pick<Credential, 'id' | 'userId' | 'projectId' | 'type'>) => ({
  credential: { id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type },
});

/** /v3/credentials and the OS-EC2 view of a user's ec2 credentials. */
export function registerCredentialRoutes(app: FastifyInstance, svc: IdentityServices): void {
  const { policy, credentials, users, resources } = svc;

  /** Like Keystone, a missing credential is checked with an empty target first: a non-owner learns nothing (403). */
  async function authorized(req: FastifyRequest, action: string, id: string): Promise<Credential> {
    const c = await credentials.find(id);
    enforce(policy, req, action, { target: c ? target(c) : {} });
    if (!c) throw notFound(`Could not find credential: ${id}.`, 'credential_not_found');
    return c;
  }

  app.get('/v3/credentials', { schema: { querystring: ListQuery } }, async (req) => {
    const auth = authOf(req);
    enforce(policy, req, 'identity:list_credentials', auth.system ? {} : { target: { credential: { user_id: auth.userId } } });
    const q = req.query as { user_id?: string; type?: string };
    // Each credential is checked again, so that project members see only their own.
    const list = (await credentials.list({ userId: q.user_id, type: q.type })).filter((c) =>
      allowed(policy, req, 'identity:get_credential', { target: target(c) }),
    );
    return { credentials: list.map((c) => credentialView(req, c)), links: collectionLinks(req) };
  });

  app.get('/v3/credentials/:credential_id', { schema: { params: IdParam } }, async (req) => {
    const { credential_id } = req.params as { credential_id: string };
    return { credential: credentialView(req, await authorized(req, 'identity:get_credential', credential_id)) };
  });

  app.post('/v3/credentials', { schema: { body: CredentialCreate } }, async (req, reply) => {
    const { credential } = req.body as { credential: CredentialInput };
    enforce(policy, req, 'identity:create_credential', { target: { credential: { ...credential, blob: undefined } } });
    const created = await credentials.create(credential, { appCredId: authOf(req).applicationCredentialId });
    return reply.code(201).send({ credential: credentialView(req, created) });
  });

  app.patch('/v3/credentials/:credential_id', { schema: { params: IdParam, body: CredentialUpdate } }, async (req) => {
    const { credential_id } = req.params as { credential_id: string };
    const current = await authorized(req, 'identity:update_credential', credential_id);
    const { credential } = req.body as { credential: CredentialInput & { id?: string } };
    requireMatchingId(credential, credential_id);
    const { id: _id, ...changes } = credential;
    // Checked again as it would be after the change: an owner cannot hand a credential to someone else.
    const after = {
      ...current,
      userId: changes.user_id ?? current.userId,
      projectId: changes.project_id ?? current.projectId,
      type: changes.type ?? current.type,
    };
    enforce(policy, req, 'identity:update_credential', { target: target(after) });
    return { credential: credentialView(req, await credentials.update(credential_id, changes)) };
  });

  app.delete('/v3/credentials/:credential_id', { schema: { params: IdParam } }, async (req, reply) => {
    const { credential_id } = req.params as { credential_id: string };
    await authorized(req, 'identity:delete_credential', credential_id);
    await credentials.delete(credential_id);
    return reply.code(204).send();
  });

  app.get('/v3/users/:user_id/credentials/OS-EC2', { schema: { params: UserParam } }, async (req) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:ec2_list_credentials', { user_id });
    await users.get(user_id);
    const list = await credentials.listEc2(user_id);
    return { credentials: list.map((e) => ec2View(req, e)), links: collectionLinks(req) };
  });

  app.post('/v3/users/:user_id/credentials/OS-EC2', { schema: { params: UserParam, body: Ec2Create } }, async (req, reply) => {
    const { user_id } = req.params as { user_id: string };
    enforce(policy, req, 'identity:ec2_create_credential', { user_id, target: { credential: { user_id } } });
    await users.get(user_id);
    const { tenant_id } = req.body as { tenant_id: string };
    await resources.getProject(tenant_id);
    const created = await credentials.createEc2(user_id, tenant_id);
    return reply.code(201).send({ credential: ec2View(req, created) });
  });

  /** The ec2 credential of an access key under a user; 404 when either is unknown or they do not belong together. */
  async function ec2Of(req: FastifyRequest, action: string): Promise<Ec2Credential> {
    const { user_id, credential_id: access } = req.params as { user_id: string; credential_id: string };
    const found = await credentials.findEc2(access);
    if (!found) throw notFound(`Could not find credential: ${access}.`, 'credential_not_found');
    enforce(policy, req, action, { user_id, target: target(found.credential) });
    await users.get(user_id);
    if (found.credential.userId !== user_id) throw notFound(`Could not find credential: ${access}.`, 'credential_not_found');
    return found.ec2;
  }

  app.get('/v3/users/:user_id/credentials/OS-EC2/:credential_id', { schema: { params: Ec2Param } }, async (req) => {
    return { credential: ec2View(req, await ec2Of(req, 'identity:ec2_get_credential')) };
  });

  app.delete('/v3/users/:user_id/credentials/OS-EC2/:credential_id', { schema: { params: Ec2Param } }, async (req, reply) => {
    const e = await ec2Of(req, 'identity:ec2_delete_credential');
    await credentials.deleteEc2(e.access);
    return reply.code(204).send();
  });
}
