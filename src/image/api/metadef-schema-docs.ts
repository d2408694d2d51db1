/**
 * The documents of `/v2/schemas/metadefs/*`: what clients (Horizon's
 * metadata widget, python-glanceclient) read to learn the shape of each
 * metadef resource. Same structure as Glance's: an item schema has `name`,
 * `properties`, `additionalProperties: false`, `required` and any shared
 * `definitions`; a collection wraps it in an array (a dictionary for
 * properties) with first/next/schema links and hoists the definitions.
 */

type Doc = Record<string, unknown>;

const TYPE_ENUM = { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] };
const ref = (name: string): Doc => ({ $ref: `#/definitions/${name}` });
const readOnlyTime = (description: string): Doc => ({ type: 'string', readOnly: true, description, format: 'date-time' });
const times = (what: string): Doc => ({
  created_at: readOnlyTime(`Date and time of ${what} creation`),
  updated_at: readOnlyTime(`Date and time of the last ${what} modification`),
});
const links = { schema: { readOnly: true, type: 'string' }, self: { readOnly: true, type: 'string' } };

const counters = {
  positiveInteger: { type: 'integer', minimum: 0 },
  positiveIntegerDefault0: { allOf: [ref('positiveInteger'), { default: 0 }] },
};

/** The keywords of one property definition. */
const definitionKeywords: Doc = {
  name: { type: 'string', maxLength: 80 },
  title: { type: 'string' },
  description: { type: 'string' },
  operators: { type: 'array', items: { type: 'string' } },
  type: TYPE_ENUM,
  required: ref('stringArray'),
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  maxLength: ref('positiveInteger'),
  minLength: ref('positiveIntegerDefault0'),
  pattern: { type: 'string', format: 'regex' },
  enum: { type: 'array' },
  readonly: { type: 'boolean' },
  default: {},
  items: { type: 'object', properties: { type: TYPE_ENUM, enum: { type: 'array' } } },
  maxItems: ref('positiveInteger'),
  minItems: ref('positiveIntegerDefault0'),
  uniqueItems: { type: 'boolean', default: false },
  additionalItems: { type: 'boolean' },
};

/** Definitions shared by the namespace and object schemas. */
const namespaceDefinitions: Doc = {
  ...counters,
  stringArray: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  property: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['title', 'type'], properties: definitionKeywords },
  },
};

function item(name: string, properties: Doc, required: string[], definitions?: Doc): Doc {
  const doc: Doc = { name, properties, additionalProperties: false, required };
  if (definitions) doc.definitions = definitions;
  return doc;
}

function collection(name: string, itemDoc: Doc, shape: 'array' | 'object' = 'array'): Doc {
  const { definitions, ...rest } = itemDoc;
  const doc: Doc = {
    name,
    properties: {
      [name]: shape === 'array' ? { type: 'array', items: rest } : { type: 'object', additionalProperties: rest },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
  if (definitions) doc.definitions = definitions;
  return doc;
}

const NAMESPACE = item(
  'namespace',
  {
    namespace: { type: 'string', description: 'The unique namespace text.', maxLength: 80 },
    display_name: { type: 'string', description: 'The user friendly name for the namespace. Used by UI if available.', maxLength: 80 },
    description: { type: 'string', description: 'Provides a user friendly description of the namespace.', maxLength: 500 },
    visibility: { type: 'string', description: 'Scope of namespace accessibility.', enum: ['public', 'private'] },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', description: 'Owner of the namespace.', maxLength: 255 },
    ...times('namespace'),
    ...links,
    resource_type_associations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } },
      },
    },
    properties: ref('property'),
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          required: ref('stringArray'),
          properties: ref('property'),
        },
      },
    },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  },
  ['namespace'],
  namespaceDefinitions,
);

const OBJECT = item(
  'object',
  {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: ref('stringArray'),
    properties: ref('property'),
    ...links,
    ...times('object'),
  },
  ['name'],
  namespaceDefinitions,
);

const PROPERTY = item('property', definitionKeywords, ['type', 'title', 'name'], {
  ...counters,
  stringArray: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
});

const RESOURCE_TYPE_ASSOCIATION = item(
  'resource_type_association',
  {
    name: {
      type: 'string',
      description:
        'Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html',
      maxLength: 80,
    },
    prefix: {
      type: 'string',
      description:
        'Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :).',
      maxLength: 80,
    },
    properties_target: {
      type: 'string',
      description:
        'Some resource types allow more than one key / value pair per instance.  For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity.',
      maxLength: 80,
    },
    created_at: readOnlyTime('Date and time of resource type association'),
    updated_at: readOnlyTime('Date and time of the last resource type association modification'),
  },
  ['name'],
);

const TAG = item('tag', { name: { type: 'string', maxLength: 80 }, ...times('tag') }, ['name']);

/** Collections list items without their `name` requirement where the name is the dictionary key. */
const PROPERTY_IN_COLLECTION = { ...PROPERTY, required: ['type', 'title'] };

/** Path under /v2/schemas/metadefs/ → document. */
export const METADEF_SCHEMAS: Readonly<Record<string, Doc>> = {
  namespace: NAMESPACE,
  namespaces: collection('namespaces', NAMESPACE),
  object: OBJECT,
  objects: collection('objects', OBJECT),
  property: PROPERTY,
  properties: collection('properties', PROPERTY_IN_COLLECTION, 'object'),
  resource_type: RESOURCE_TYPE_ASSOCIATION,
  resource_types: collection('resource_type_associations', RESOURCE_TYPE_ASSOCIATION),
  tag: TAG,
  tags: collection('tags', TAG),
};
