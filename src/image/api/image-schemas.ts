import { CONTAINER_FORMATS, DISK_FORMATS, MEMBER_STATUSES, VISIBILITIES } from '../domain/models.js';

/**
 * The JSON-schema documents of `/v2/schemas/*`: clients (python-glanceclient,
 * the dashboard) read them to learn the attributes an image has.
 */
const nullableString = (description: string, maxLength = 255): Record<string, unknown> => ({
  type: ['null', 'string'],
  maxLength,
  description,
});
const readOnly = (type: unknown, description: string): Record<string, unknown> => ({ type, readOnly: true, description });

export const IMAGE_SCHEMA = {
  name: 'image',
  additionalProperties: { type: 'string' },
  properties: {
    id: {
      type: 'string',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
      description: 'An identifier for the image',
    },
    name: nullableString('Descriptive name for the image'),
    status: readOnly('string', 'Status of the image'),
    visibility: { type: 'string', enum: [...VISIBILITIES], description: 'Scope of image accessibility' },
    protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
    os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
    checksum: { ...readOnly(['null', 'string'], 'md5 hash of image contents.'), maxLength: 32 },
    os_hash_algo: { ...readOnly(['null', 'string'], 'Algorithm to calculate the os_hash_value'), maxLength: 64 },
    os_hash_value: {
      ...readOnly(['null', 'string'], 'Hexdigest of the image contents using the algorithm in os_hash_algo.'),
      maxLength: 128,
    },
    owner: nullableString('Owner of the image'),
    size: readOnly(['null', 'integer'], 'Size of image file in bytes'),
    virtual_size: readOnly(['null', 'integer'], 'Virtual size of image in bytes'),
    container_format: { type: ['null', 'string'], enum: [null, ...CONTAINER_FORMATS], description: 'Format of the container' },
    disk_format: { type: ['null', 'string'], enum: [null, ...DISK_FORMATS], description: 'Format of the disk' },
    created_at: readOnly('string', 'Date and time of image registration'),
    updated_at: readOnly('string', 'Date and time of the last image modification'),
    tags: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'List of strings related to the image' },
    direct_url: readOnly('string', 'URL to access the image file kept in external store'),
    min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
    min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
    self: readOnly('string', 'An image self url'),
    file: readOnly('string', 'An image file url'),
    schema: readOnly('string', 'An image schema url'),
  },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const IMAGES_SCHEMA = {
  name: 'images',
  properties: {
    images: { type: 'array', items: IMAGE_SCHEMA },
    schema: { type: 'string' },
    first: { type: 'string' },
    next: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const MEMBER_SCHEMA = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: { type: 'string', description: 'An identifier for the image' },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    status: { type: 'string', enum: [...MEMBER_STATUSES], description: 'The status of this image member' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    schema: { type: 'string', readOnly: true },
  },
};

export const MEMBERS_SCHEMA = {
  name: 'members',
  properties: {
    members: { type: 'array', items: MEMBER_SCHEMA },
    schema: { type: 'string' },
  },
  links: [{ rel: 'describedby', href: '{schema}' }],
};
