import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KumoError, notFound } from '../../lib/errors.js';
import { assertValid, compileBodySchema } from '../../lib/http/validation.js';
import { CONSOLE_PROTOCOLS, CONSOLE_TYPES, type ConsoleService } from '../domain/console-service.js';
import { callerOf, enforce } from './route-helpers.js';

const REMOTE_CONSOLES_RULE = 'os_compute_api:os-remote-consoles';
const AUTH_TOKENS_RULE = 'os_compute_api:os-console-auth-tokens';

const remoteConsoleBody = (protocols: readonly string[], types: readonly string[]) =>
  compileBodySchema({
    type: 'object',
    properties: {
      remote_console: {
        type: 'object',
        properties: { protocol: { type: 'string', enum: protocols }, type: { type: 'string', enum: types } },
        required: ['protocol', 'type'],
        additionalProperties: false,
      },
    },
    required: ['remote_console'],
    additionalProperties: false,
  });

/** Nova's create_v26 (2.6–2.7) and create_v28 (2.8+, adds VMware's mks/webmks). */
const createV26 = remoteConsoleBody(
  CONSOLE_PROTOCOLS.filter((p) => p !== 'mks'),
  CONSOLE_TYPES.filter((t) => t !== 'webmks'),
);
const createV28 = remoteConsoleBody(CONSOLE_PROTOCOLS, CONSOLE_TYPES);

const getVncConsoleBody = compileBodySchema({
  type: 'object',
  properties: {
    'os-getVNCConsole': {
      type: 'object',
      properties: { type: { type: 'string', enum: ['novnc', 'xvpvnc'] } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: ['os-getVNCConsole'],
  additionalProperties: false,
});

interface RemoteConsoleBody {
  remote_console: { protocol: string; type: string };
}

const ServerParam = {
  type: 'object',
  properties: { server_id: { type: 'string', maxLength: 255 } },
  required: ['server_id'],
} as const;

const TokenParam = {
  type: 'object',
  properties: { console_token: { type: 'string', maxLength: 255 } },
  required: ['console_token'],
} as const;

/** What Nova answers for a route that does not exist at the request's microversion. */
const noSuchResource = () => notFound('The resource could not be found.');

/**
 * The `os-getVNCConsole` server action (2.1–2.5; 2.6 replaced it with
 * POST /servers/{id}/remote-consoles). For the servers part's action
 * dispatcher: call it when the body's key is `os-getVNCConsole` and send the
 * result with status 200.
 */
export async function handleGetVncConsoleAction(
  consoles: ConsoleService,
  req: FastifyRequest,
  serverId: string,
  body: unknown,
): Promise<{ console: { type: string; url: string } }> {
  if (req.microversion.atLeast('2.6')) throw noSuchResource();
  const caller = callerOf(consoles.policy, req);
  const { type } = assertValid<{ 'os-getVNCConsole': { type: string } }>(getVncConsoleBody, body)['os-getVNCConsole'];
  const target = await consoles.target(caller, serverId);
  enforce(consoles.policy, req, REMOTE_CONSOLES_RULE, { project_id: target.instance.projectId });
  const { url } = await consoles.createConsole(caller, target, 'vnc', type);
  return { console: { type, url } };
}

/** Remote consoles (2.6+) and the admin console-auth-token lookup. */
export function registerConsoleRoutes(app: FastifyInstance, consoles: ConsoleService): void {
  app.post<{ Params: { server_id: string } }>(
    '/v2.1/servers/:server_id/remote-consoles',
    { schema: { params: ServerParam } },
    async (req) => {
      if (!req.microversion.atLeast('2.6')) throw noSuchResource();
      const caller = callerOf(consoles.policy, req);
      const schema = req.microversion.atLeast('2.8') ? createV28 : createV26;
      const { protocol, type } = assertValid<RemoteConsoleBody>(schema, req.body).remote_console;
      const target = await consoles.target(caller, req.params.server_id);
      enforce(consoles.policy, req, REMOTE_CONSOLES_RULE, { project_id: target.instance.projectId });
      const { url } = await consoles.createConsole(caller, target, protocol, type);
      return { remote_console: { protocol, type, url } };
    },
  );

  app.get<{ Params: { console_token: string } }>(
    '/v2.1/os-console-auth-tokens/:console_token',
    { schema: { params: TokenParam } },
    async (req) => {
      enforce(consoles.policy, req, AUTH_TOKENS_RULE);
      const info = await consoles.validate(req.params.console_token);
      if (!info) throw notFound('Token not found', 'console_token_not_found');
      // Before 2.31 the API served only RDP tokens (for Hyper-V's FreeRDP gateway).
      if (!req.microversion.atLeast('2.31') && info.consoleType !== 'rdp-html5') {
        throw new KumoError('unauthorized', 401, 'The requested console type details are not accessible');
      }
      return {
        console: {
          instance_uuid: info.instanceUuid,
          host: info.host,
          port: info.port,
          internal_access_path: info.internalAccessPath,
        },
      };
    },
  );
}
