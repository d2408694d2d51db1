import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import { assertValid } from '../../lib/http/validation.js';
import { POWER_ACTION_NAMES, type RebuildInput } from '../domain/server-actions.js';
import type { ServerServices } from '../domain/server-services.js';
import { versionNotFound } from './resource-route-helpers.js';
import { callerOf, enforce } from './route-helpers.js';
import { ServerParam, viewContext, type ServerParams } from './server-route-context.js';
import { ACTION_SCHEMAS, rebuildValidator } from './server-schemas.js';
import { serverView } from './server-views.js';

/** Policy rule of each simple power action. */
const POWER_RULES: Record<string, string> = {
  'os-stop': 'os_compute_api:servers:stop',
  'os-start': 'os_compute_api:servers:start',
  pause: 'os_compute_api:os-pause-server:pause',
  unpause: 'os_compute_api:os-pause-server:unpause',
  suspend: 'os_compute_api:os-suspend-server:suspend',
  resume: 'os_compute_api:os-suspend-server:resume',
};

/** Actions without a body worth validating beyond `{"<name>": null}`. */
const nullBody = (body: Record<string, unknown>, key: string): void => {
  const v = body[key];
  if (Object.keys(body).length !== 1 || (v !== null && (typeof v !== 'object' || Array.isArray(v)))) {
    throw badRequest(`Invalid input for field '${key}'.`);
  }
};

/**
 * A server action served by another part of compute (e.g. consoles'
 * `os-getVNCConsole`): gets the request, the server id and the body, returns
 * the 200 response body.
 */
export type ExtraServerAction = (req: FastifyRequest, serverId: string, body: unknown) => Promise<unknown>;

/** POST /servers/{id}/action. */
export function registerServerActionRoutes(app: FastifyInstance, s: ServerServices, extra: Record<string, ExtraServerAction> = {}): void {
  app.post<ServerParams>('/v2.1/servers/:server_id/action', { schema: { params: ServerParam } }, async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length === 0) {
      throw badRequest('Malformed request body');
    }
    const b = body as Record<string, unknown>;
    const name = Object.keys(b)[0]!;
    const other = Object.hasOwn(extra, name) ? extra[name] : undefined;
    if (other) return other(req, req.params.server_id, body);
    const caller = callerOf(s.policy, req);
    const mv = req.microversion;
    const row = await s.servers.getRow(caller, req.params.server_id);
    const target = { project_id: row.project_id };
    const a = s.actions;
    reply.code(202);

    if (POWER_ACTION_NAMES.includes(name)) {
      enforce(s.policy, req, POWER_RULES[name]!, target);
      nullBody(b, name);
      await a.power(caller, row, name);
      return;
    }
    switch (name) {
      case 'reboot': {
        enforce(s.policy, req, 'os_compute_api:servers:reboot', target);
        const { reboot } = assertValid<{ reboot: { type: string } }>(ACTION_SCHEMAS.reboot, b);
        await a.reboot(caller, row, reboot.type.toUpperCase() as 'SOFT' | 'HARD');
        return;
      }
      case 'lock': {
        enforce(s.policy, req, 'os_compute_api:os-lock-server:lock', target);
        const v = assertValid<{ lock: { locked_reason?: string } | null }>(
          mv.atLeast('2.73') ? ACTION_SCHEMAS.lock : ACTION_SCHEMAS.lockLegacy,
          b,
        );
        await a.lock(caller, row, mv.atLeast('2.73') ? (v.lock?.locked_reason ?? undefined) : undefined);
        return;
      }
      case 'unlock': {
        enforce(s.policy, req, 'os_compute_api:os-lock-server:unlock', target);
        nullBody(b, name);
        if (row.locked && row.locked_by === 'admin') enforce(s.policy, req, 'os_compute_api:os-lock-server:unlock:unlock_override', target);
        await a.unlock(caller, row);
        return;
      }
      case 'rebuild': {
        enforce(s.policy, req, 'os_compute_api:servers:rebuild', target);
        const { rebuild } = assertValid<{ rebuild: RebuildInput & { 'OS-DCF:diskConfig'?: string; personality?: unknown } }>(
          rebuildValidator(mv),
          b,
        );
        const { personality: _p, 'OS-DCF:diskConfig': diskConfig, ...input } = rebuild;
        const done = await a.rebuild(caller, row, { ...input, diskConfig });
        const full = mv.atLeast('2.75');
        const [rec] = await s.servers.records([done.row]);
        const view = serverView(rec!, await viewContext(s, req, [row.uuid]), full);
        // Rebuild answers carry key_name (2.54) and user_data (2.57) whatever the view.
        if (mv.atLeast('2.54')) view.key_name = done.row.key_name;
        if (mv.atLeast('2.57')) view.user_data = done.row.user_data;
        view.adminPass = done.adminPass;
        return { server: view };
      }
      case 'resize': {
        enforce(s.policy, req, 'os_compute_api:servers:resize', target);
        const { resize } = assertValid<{ resize: { flavorRef: string | number; 'OS-DCF:diskConfig'?: string } }>(ACTION_SCHEMAS.resize, b);
        await a.resize(caller, row, String(resize.flavorRef), resize['OS-DCF:diskConfig']);
        return;
      }
      case 'confirmResize':
        enforce(s.policy, req, 'os_compute_api:servers:confirm_resize', target);
        nullBody(b, name);
        await a.confirmResize(caller, row);
        reply.code(204);
        return;
      case 'revertResize':
        enforce(s.policy, req, 'os_compute_api:servers:revert_resize', target);
        nullBody(b, name);
        await a.revertResize(caller, row);
        return;
      case 'createImage': {
        enforce(s.policy, req, 'os_compute_api:servers:create_image', target);
        const { createImage } = assertValid<{ createImage: { name: string; metadata?: Record<string, string> } }>(
          ACTION_SCHEMAS.createImage,
          b,
        );
        const imageId = await a.createImage(caller, row, createImage.name, createImage.metadata ?? {});
        if (mv.atLeast('2.45')) return { image_id: imageId };
        reply.header('location', `${await s.servers.deps.images.endpoint()}/v2/images/${imageId}`);
        return;
      }
      case 'createBackup': {
        enforce(s.policy, req, 'os_compute_api:os-create-backup', target);
        const { createBackup: cb } = assertValid<{
          createBackup: { name: string; backup_type: string; rotation: number | string; metadata?: Record<string, string> };
        }>(ACTION_SCHEMAS.createBackup, b);
        const imageId = await a.createBackup(caller, row, {
          name: cb.name,
          backupType: cb.backup_type,
          rotation: Number(cb.rotation),
          metadata: cb.metadata ?? {},
        });
        if (mv.atLeast('2.45')) return imageId ? { image_id: imageId } : {};
        if (imageId) reply.header('location', `${await s.servers.deps.images.endpoint()}/v2/images/${imageId}`);
        return;
      }
      case 'os-getConsoleOutput': {
        enforce(s.policy, req, 'os_compute_api:os-console-output', target);
        const { 'os-getConsoleOutput': o } = assertValid<{ 'os-getConsoleOutput': { length?: number | string | null } }>(
          ACTION_SCHEMAS.consoleOutput,
          b,
        );
        const n = o.length === undefined || o.length === null ? null : Number(o.length);
        if (n !== null && n < -1) throw badRequest("Invalid input for field 'length'.");
        const output = await a.consoleOutput(caller, row, n === -1 ? null : n);
        reply.code(200);
        return { output };
      }
      case 'changePassword':
        enforce(s.policy, req, 'os_compute_api:os-admin-password', target);
        assertValid(ACTION_SCHEMAS.changePassword, b);
        return a.changePassword(caller, row);
      case 'os-resetState': {
        enforce(s.policy, req, 'os_compute_api:os-admin-actions:reset_state', target);
        const { 'os-resetState': r } = assertValid<{ 'os-resetState': { state: 'active' | 'error' } }>(ACTION_SCHEMAS.resetState, b);
        await a.resetState(caller, row, r.state);
        return;
      }
      case 'migrate':
        enforce(s.policy, req, 'os_compute_api:os-migrate-server:migrate', target);
        return a.migrate(caller, row, false);
      case 'os-migrateLive':
        enforce(s.policy, req, 'os_compute_api:os-migrate-server:migrate_live', target);
        return a.migrate(caller, row, true);
      case 'forceDelete':
        // No soft delete in Kumo (reclaim_instance_interval 0): force delete is delete.
        enforce(s.policy, req, 'os_compute_api:os-deferred-delete:force', target);
        nullBody(b, name);
        await s.servers.delete(caller, row.uuid);
        return;
      case 'restore':
        enforce(s.policy, req, 'os_compute_api:os-deferred-delete:restore', target);
        nullBody(b, name);
        return a.refuse(row, 'restore', ['soft-delete']);
      case 'addSecurityGroup':
      case 'removeSecurityGroup': {
        enforce(s.policy, req, `os_compute_api:os-security-groups:${name === 'addSecurityGroup' ? 'add' : 'remove'}`, target);
        const group = (b[name] as { name?: unknown } | null)?.name;
        if (typeof group !== 'string' || group.trim() === '') throw badRequest(`Missing parameter name in ${name}.`);
        const on = name === 'addSecurityGroup';
        const groupName = await s.securityGroups.setOnServer(
          String(req.headers['x-auth-token'] ?? ''),
          { uuid: row.uuid, projectId: row.project_id },
          group,
          on,
        );
        // The server shows the groups its ports have now.
        const names = (JSON.parse(row.security_groups) as string[]).filter((g) => g !== groupName);
        await s.servers.store.update(row.uuid, { security_groups: JSON.stringify(on ? [...names, groupName] : names) });
        return;
      }
      case 'addFixedIp':
      case 'removeFixedIp': {
        // Nova removed both in 2.44.
        if (mv.atLeast('2.44')) throw versionNotFound();
        enforce(s.policy, req, `os_compute_api:os-multinic:${name === 'addFixedIp' ? 'add' : 'remove'}`, target);
        const args = (b[name] ?? {}) as { networkId?: unknown; address?: unknown };
        if (name === 'addFixedIp') {
          if (typeof args.networkId !== 'string' || args.networkId === '') throw badRequest('Missing parameter networkId in addFixedIp.');
          await s.interfaces.addFixedIp(caller, row, args.networkId);
        } else {
          if (typeof args.address !== 'string' || args.address === '') throw badRequest('Missing parameter address in removeFixedIp.');
          await s.interfaces.removeFixedIp(caller, row, args.address);
        }
        return;
      }
      case 'addFloatingIp':
      case 'removeFloatingIp': {
        enforce(s.policy, req, `os_compute_api:os-floating-ips:${name === 'addFloatingIp' ? 'add' : 'remove'}`, target);
        const args = (b[name] ?? {}) as { address?: unknown; fixed_address?: unknown };
        if (typeof args.address !== 'string' || args.address === '') throw badRequest(`Missing parameter address in ${name}.`);
        const token = String(req.headers['x-auth-token'] ?? '');
        if (name === 'addFloatingIp')
          await s.floatingIps.associate(
            token,
            row.uuid,
            args.address,
            typeof args.fixed_address === 'string' ? args.fixed_address : undefined,
          );
        else await s.floatingIps.disassociate(token, row.uuid, args.address);
        return;
      }
      case 'unshelve':
        enforce(s.policy, req, 'os_compute_api:os-shelve:unshelve', target);
        return a.refuse(row, 'unshelve', ['shelved', 'shelved_offloaded']);
      default:
        throw badRequest(`There is no such action: ${name}`, 'no_such_action');
    }
  });
}
