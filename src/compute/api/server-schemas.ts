import type { Microversion } from '../../lib/http/microversion.js';
import { compileBodySchema } from '../../lib/http/validation.js';

/** JSON schemas of the server APIs, after nova/api/openstack/compute/schemas/servers.py (Zed). */

const UUID = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';
/** Nova's `name` format: no leading or trailing whitespace. */
const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(?:[\\s\\S]*\\S)?$' };
const description = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
const ipv4 = { type: 'string', oneOf: [{ format: 'ipv4' }, { maxLength: 0 }] };
const ipv6 = { type: 'string', oneOf: [{ format: 'ipv6' }, { maxLength: 0 }] };
const hostname = { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9][a-zA-Z0-9.-]*$' };
const count = {
  oneOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^[1-9][0-9]*$' },
  ],
};
const tag = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' };
export const metadataSchema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};
/** Files injected before 2.57 (accepted, not injected: Kumo offers config drive and metadata instead). */
const personality = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      path: { type: 'string' },
      contents: { type: 'string', pattern: '^[A-Za-z0-9+/\\s]*={0,2}\\s*$' },
    },
    additionalProperties: false,
  },
};
const bdmV2 = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
      destination_type: { type: 'string', enum: ['local', 'volume'] },
      uuid: { type: 'string', minLength: 1, maxLength: 255 },
      boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
      volume_size: { type: ['integer', 'string'] },
      delete_on_termination: { type: ['boolean', 'string'] },
      device_name: { type: 'string' },
      disk_bus: { type: 'string' },
      device_type: { type: 'string' },
      guest_format: { type: 'string' },
      no_device: {},
      tag: { type: 'string' },
      volume_type: { type: ['string', 'null'] },
    },
    additionalProperties: false,
  },
};

function createSchema(mv: Microversion): object {
  const server: Record<string, unknown> = {
    name,
    imageRef: {
      oneOf: [
        { type: 'string', pattern: UUID },
        { type: 'string', maxLength: 0 },
        { type: 'string', format: 'uri' },
      ],
    },
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    adminPass: { type: 'string' },
    metadata: metadataSchema,
    networks: {
      oneOf: [
        {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              fixed_ip: { type: 'string' },
              port: { oneOf: [{ type: 'string', pattern: UUID }, { type: 'null' }] },
              uuid: { type: 'string' },
              ...(mv.atLeast('2.32') ? { tag } : {}),
            },
            additionalProperties: false,
          },
        },
        ...(mv.atLeast('2.37') ? [{ type: 'string', enum: ['none', 'auto'] }] : []),
      ],
    },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: ipv4,
    accessIPv6: ipv6,
    availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
    block_device_mapping_v2: bdmV2,
    config_drive: { type: ['boolean', 'string'], enum: [true, false, 'True', 'False', 'true', 'false', ''] },
    key_name: { type: 'string', minLength: 1, maxLength: 255 },
    min_count: count,
    max_count: count,
    return_reservation_id: { type: ['boolean', 'string'], enum: [true, false, 'True', 'False', 'true', 'false'] },
    security_groups: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 255 } }, additionalProperties: false },
    },
    user_data: { type: 'string', maxLength: 65535 },
  };
  if (!mv.atLeast('2.57')) server.personality = personality;
  if (mv.atLeast('2.19')) server.description = description;
  if (mv.atLeast('2.52')) server.tags = { type: 'array', items: tag, maxItems: 50 };
  if (mv.atLeast('2.63'))
    server.trusted_image_certificates = { type: ['array', 'null'], minItems: 1, maxItems: 50, items: { type: 'string', minLength: 1 } };
  if (mv.atLeast('2.74')) {
    server.host = { type: 'string', minLength: 1, maxLength: 255 };
    server.hypervisor_hostname = { type: 'string', minLength: 1, maxLength: 255 };
  }
  if (mv.atLeast('2.90')) server.hostname = hostname;
  const hints = { type: 'object', properties: { group: { type: 'string', pattern: UUID } }, additionalProperties: true };
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties: server,
        required: mv.atLeast('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
        additionalProperties: false,
      },
      'OS-SCH-HNT:scheduler_hints': hints,
      'os:scheduler_hints': hints,
    },
    required: ['server'],
    additionalProperties: false,
  };
}

function updateSchema(mv: Microversion): object {
  const server: Record<string, unknown> = {
    name,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: ipv4,
    accessIPv6: ipv6,
  };
  if (mv.atLeast('2.19')) server.description = description;
  if (mv.atLeast('2.90')) server.hostname = hostname;
  return {
    type: 'object',
    properties: { server: { type: 'object', properties: server, additionalProperties: false } },
    required: ['server'],
    additionalProperties: false,
  };
}

function rebuildSchema(mv: Microversion): object {
  const rebuild: Record<string, unknown> = {
    name,
    imageRef: { type: 'string', minLength: 1 },
    adminPass: { type: 'string' },
    metadata: metadataSchema,
    preserve_ephemeral: { type: 'boolean' },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: ipv4,
    accessIPv6: ipv6,
  };
  if (!mv.atLeast('2.57')) rebuild.personality = personality;
  if (mv.atLeast('2.19')) rebuild.description = description;
  if (mv.atLeast('2.54')) rebuild.key_name = { type: ['string', 'null'], minLength: 1, maxLength: 255 };
  if (mv.atLeast('2.57')) rebuild.user_data = { type: ['string', 'null'], maxLength: 65535 };
  if (mv.atLeast('2.63')) rebuild.trusted_image_certificates = { type: ['array', 'null'] };
  if (mv.atLeast('2.90')) rebuild.hostname = hostname;
  return {
    type: 'object',
    properties: { rebuild: { type: 'object', properties: rebuild, required: ['imageRef'], additionalProperties: false } },
    required: ['rebuild'],
    additionalProperties: false,
  };
}

/** Compiled schemas per microversion (a handful of distinct shapes, compiled once each). */
function cached(build: (mv: Microversion) => object): (mv: Microversion) => ReturnType<typeof compileBodySchema> {
  const cache = new Map<string, ReturnType<typeof compileBodySchema>>();
  return (mv) => {
    const key = mv.toString();
    let v = cache.get(key);
    if (!v) {
      v = compileBodySchema(build(mv));
      cache.set(key, v);
    }
    return v;
  };
}

export const createValidator = cached(createSchema);
export const updateValidator = cached(updateSchema);
export const rebuildValidator = cached(rebuildSchema);

const action = (key: string, inner: object, required = true) =>
  compileBodySchema({ type: 'object', properties: { [key]: inner }, required: required ? [key] : [], additionalProperties: false });

export const ACTION_SCHEMAS = {
  reboot: action('reboot', {
    type: 'object',
    properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
    required: ['type'],
    additionalProperties: false,
  }),
  resize: action('resize', {
    type: 'object',
    properties: {
      flavorRef: { type: ['string', 'integer'], minLength: 1 },
      'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    },
    required: ['flavorRef'],
    additionalProperties: false,
  }),
  createImage: action('createImage', {
    type: 'object',
    properties: { name, metadata: metadataSchema },
    required: ['name'],
    additionalProperties: false,
  }),
  createBackup: action('createBackup', {
    type: 'object',
    properties: {
      name,
      backup_type: { type: 'string' },
      rotation: {
        oneOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: '^[0-9]+$' },
        ],
      },
      metadata: metadataSchema,
    },
    required: ['name', 'backup_type', 'rotation'],
    additionalProperties: false,
  }),
  lock: action('lock', {
    type: ['object', 'null'],
    properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } },
    additionalProperties: false,
  }),
  lockLegacy: action('lock', { type: ['object', 'null'] }),
  consoleOutput: action('os-getConsoleOutput', {
    type: 'object',
    properties: { length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' } },
    additionalProperties: false,
  }),
  resetState: action('os-resetState', {
    type: 'object',
    properties: { state: { type: 'string', enum: ['active', 'error'] } },
    required: ['state'],
    additionalProperties: false,
  }),
  changePassword: action('changePassword', {
    type: 'object',
    properties: { adminPass: { type: 'string' } },
    required: ['adminPass'],
    additionalProperties: false,
  }),
};

export const metadataBody = (key: 'metadata' | 'meta') =>
  compileBodySchema({ type: 'object', properties: { [key]: metadataSchema }, required: [key], additionalProperties: false });
export const tagsBody = compileBodySchema({
  type: 'object',
  properties: { tags: { type: 'array', items: tag, maxItems: 50 } },
  required: ['tags'],
  additionalProperties: false,
});
export const TAG_SCHEMA = tag;
