/**
 * Request validation of the metadefs API: Glance's JSON schemas made strict
 * (unknown keys are 400s at every level, names are 1 to 80 characters as
 * Glance's columns hold them). Read-only attributes are let through the
 * schema so the route can answer Glance's 403 "Attribute 'x' is read-only.".
 */
import { NAMESPACE_SORT_KEYS, TAG_SORT_KEYS } from '../domain/metadef-models.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const NAME = { type: 'string', minLength: 1, maxLength: 80 } as const;
const SHORT = { type: 'string', maxLength: 80 } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;
const ANY = {} as const;

/** Keys a client may echo back from a GET but never set. */
export const READ_ONLY = {
  namespace: ['self', 'schema', 'created_at', 'updated_at'],
  object: ['self', 'schema', 'created_at', 'updated_at'],
  other: ['created_at', 'updated_at'],
} as const;

const readOnlyKeys = (keys: readonly string[]): Record<string, object> => Object.fromEntries(keys.map((k) => [k, ANY]));

/** One property definition: the JSON-schema keywords Glance stores for a property. */
const definitionProperties = {
  name: NAME,
  title: { type: 'string' },
  description: { type: 'string' },
  operators: { type: 'array', items: { type: 'string' } },
  type: { type: 'string', enum: TYPES },
  default: ANY,
  readonly: { type: 'boolean' },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  enum: { type: 'array' },
  pattern: { type: 'string', format: 'regex' },
  minLength: COUNT,
  maxLength: COUNT,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { type: 'string', enum: TYPES }, enum: { type: 'array' } },
  },
  uniqueItems: { type: 'boolean' },
  minItems: COUNT,
  maxItems: COUNT,
  additionalItems: { type: 'boolean' },
};

/** Inside a dictionary of definitions the key is the name, so `name` is optional there. */
const NestedDefinition = { type: 'object', additionalProperties: false, required: ['title', 'type'], properties: definitionProperties };
const Definitions = { type: 'object', propertyNames: NAME, additionalProperties: NestedDefinition };

const objectProperties = {
  name: NAME,
  description: { type: 'string' },
  required: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  properties: Definitions,
};

const associationProperties = { name: NAME, prefix: SHORT, properties_target: SHORT };

const namespaceProperties = {
  namespace: NAME,
  display_name: SHORT,
  description: { type: 'string', maxLength: 500 },
  visibility: { type: 'string', enum: ['public', 'private'] },
  protected: { type: 'boolean' },
  owner: { type: 'string', maxLength: 255 },
  resource_type_associations: {
    type: 'array',
    items: { type: 'object', additionalProperties: false, required: ['name'], properties: associationProperties },
  },
  properties: Definitions,
  objects: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name'], properties: objectProperties } },
  tags: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: NAME } } },
  ...readOnlyKeys(READ_ONLY.namespace),
};

/** POST and PUT /v2/metadefs/namespaces[/{name}] (PUT ignores the contents). */
export const NamespaceBody = { type: 'object', additionalProperties: false, required: ['namespace'], properties: namespaceProperties };

export const ObjectBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { ...objectProperties, ...readOnlyKeys(READ_ONLY.object) },
};

export const PropertyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'title', 'type'],
  properties: { ...definitionProperties, ...readOnlyKeys(READ_ONLY.other) },
};

export const TagBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: NAME, ...readOnlyKeys(READ_ONLY.other) },
};

export const TagsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tags'],
  properties: {
    tags: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: NAME } } },
  },
};

export const AssociationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { ...associationProperties, ...readOnlyKeys(READ_ONLY.other) },
};

const Segment = { type: 'string', minLength: 1, maxLength: 255 } as const;
export const NamespaceParams = { type: 'object', required: ['namespace'], properties: { namespace: Segment } };
export const ItemParams = { type: 'object', required: ['namespace', 'name'], properties: { namespace: Segment, name: Segment } };

const SortDir = { type: 'string', enum: ['asc', 'desc'] };

export const NamespaceListQuery = {
  type: 'object',
  properties: {
    limit: COUNT,
    marker: { type: 'string' },
    sort_key: { type: 'string', enum: [...NAMESPACE_SORT_KEYS] },
    sort_dir: SortDir,
    visibility: { type: 'string', enum: ['public', 'private'] },
    resource_types: { type: 'string' },
  },
};

export const ResourceTypeQuery = { type: 'object', properties: { resource_type: { type: 'string', minLength: 1 } } };

export const TagListQuery = {
  type: 'object',
  properties: { limit: COUNT, marker: { type: 'string' }, sort_key: { type: 'string', enum: [...TAG_SORT_KEYS] }, sort_dir: SortDir },
};
