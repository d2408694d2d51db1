/**
 * Every configuration option of Kumo, documented once. The same key is read
 * from the config file (YAML: `section.key` nests as `section: {key: ...}`),
 * from the environment (`KUMO_SECTION_KEY`) and, for some, from a flag.
 * docs/configuration.md is generated from this table (`npm run docs:config`).
 */
export type OptionType = 'string' | 'int' | 'bool';

export interface OptionDef {
  key: string;
  type: OptionType;
  default: string | number | boolean;
  doc: string;
  flag?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export const OPTIONS: readonly OptionDef[] = [
  {
    key: 'data_dir',
    type: 'string',
    default: '',
    flag: '--data-dir',
    doc: 'Directory for databases, keys, images and generated credentials. Default: /var/lib/kumo as root, ~/.local/share/kumo otherwise.',
  },
  { key: 'host', type: 'string', default: '127.0.0.1', flag: '--host', doc: 'Address every API binds to.' },
  {
    key: 'public_host',
    type: 'string',
    default: '',
    flag: '--public-host',
    doc: 'Host name put in catalog URLs. Default: `host`, or the machine name when binding to all addresses.',
  },
  {
    key: 'log_level',
    type: 'string',
    default: 'info',
    flag: '--log-level',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Log level. Logs are JSON lines: `kumo up` writes them to <data_dir>/kumo.log, `kumo serve` to stderr.',
  },
  {
    key: 'database_url',
    type: 'string',
    default: '',
    doc: 'Database for every service: `mysql://user:pass@host/db` or `postgres://user@host/db`. Default: one SQLite file per service in the data dir.',
  },
  {
    key: 'bus_url',
    type: 'string',
    default: 'memory://',
    doc: 'Message bus: `memory://` (in-process, all-in-one only) or `amqp://user:pass@host:5672`.',
  },
  { key: 'region', type: 'string', default: 'RegionOne', doc: 'Region name used by bootstrap and the catalog.' },
  { key: 'identity.port', type: 'int', default: 5000, min: 0, max: 65535, doc: 'Identity API port (0 picks a free port).' },
  { key: 'identity.database_url', type: 'string', default: '', doc: 'Database of the identity service; overrides `database_url`.' },
  {
    key: 'identity.body_limit',
    type: 'int',
    default: 114688,
    min: 1024,
    doc: 'Largest identity request body in bytes (Keystone: 114688).',
  },
  { key: 'identity.token_expiration', type: 'int', default: 3600, min: 60, doc: 'Token lifetime in seconds.' },
  {
    key: 'identity.allow_expired_window',
    type: 'int',
    default: 172800,
    min: 0,
    doc: 'Seconds after expiry during which `allow_expired=1` validation still succeeds.',
  },
  {
    key: 'identity.cache_time',
    type: 'int',
    default: 10,
    min: 1,
    doc: 'Seconds a cached token validation, catalog or role graph may serve after a change made by another identity process (scale-out); changes in the same process apply at once, revocations within 1 s.',
  },
  {
    key: 'identity.max_active_keys',
    type: 'int',
    default: 3,
    min: 1,
    doc: 'Fernet keys kept by rotation (staged + primary + secondaries).',
  },
  { key: 'identity.key_dir', type: 'string', default: '', doc: 'Fernet key repository. Default: `<data_dir>/fernet-keys`.' },
  { key: 'identity.policy_file', type: 'string', default: '', doc: 'YAML/JSON policy overrides (oslo.policy syntax) for identity rules.' },
  {
    key: 'identity.password_hash_memory_kib',
    type: 'int',
    default: 19456,
    min: 1024,
    doc: 'argon2id memory cost in KiB for new password hashes.',
  },
  { key: 'identity.password_hash_time_cost', type: 'int', default: 2, min: 1, doc: 'argon2id iterations for new password hashes.' },
  {
    key: 'identity.lockout_failure_attempts',
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Failed password attempts before a user is locked out (0 = never).',
  },
  { key: 'identity.lockout_duration', type: 'int', default: 1800, min: 1, doc: 'Seconds a locked-out user stays locked.' },
  {
    key: 'identity.unique_last_password_count',
    type: 'int',
    default: 0,
    min: 0,
    doc: 'New passwords must differ from this many most recent passwords, the current one included (0 = no check).',
  },
  { key: 'identity.password_expires_days', type: 'int', default: 0, min: 0, doc: 'Days until a password expires (0 = never).' },
  {
    key: 'identity.minimum_password_age',
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Days a user must wait before changing their password again.',
  },
  { key: 'identity.password_regex', type: 'string', default: '', doc: 'Regular expression new passwords must match (empty = any).' },
  {
    key: 'identity.password_regex_description',
    type: 'string',
    default: '',
    doc: 'Human description of `password_regex`, shown when a password is rejected.',
  },
  {
    key: 'identity.change_password_upon_first_use',
    type: 'bool',
    default: false,
    doc: 'Users created or reset by an admin must change their password before using it.',
  },
  {
    key: 'identity.list_limit',
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Maximum entities in one list response (0 = unlimited); truncated lists say `truncated: true`.',
  },
  {
    key: 'identity.admin_password',
    type: 'string',
    default: '',
    doc: 'Password given to `admin` at bootstrap. Default: generated and written to admin-openrc.',
  },
  { key: 'image.port', type: 'int', default: 9292, min: 0, max: 65535, doc: 'Image API port (0 picks a free port).' },
  { key: 'image.database_url', type: 'string', default: '', doc: 'Database of the image service; overrides `database_url`.' },
  {
    key: 'image.body_limit',
    type: 'int',
    default: 65536,
    min: 1024,
    doc: 'Largest JSON request body of the image API in bytes (image data is streamed and limited by `image.size_cap`).',
  },
  { key: 'image.store_dir', type: 'string', default: '', doc: 'Filesystem store for image data. Default: `<data_dir>/images`.' },
  {
    key: 'image.staging_dir',
    type: 'string',
    default: '',
    doc: 'Where `glance-direct` imports stage data before import. Default: `<data_dir>/images/staging`.',
  },
  {
    key: 'image.size_cap',
    type: 'int',
    default: 1099511627776,
    min: 1,
    doc: 'Largest image in bytes (Glance `image_size_cap`, 1 TiB).',
  },
  {
    key: 'image.quota_image_count',
    type: 'int',
    default: -1,
    min: -1,
    doc: 'Images a project may own, deleted ones excluded (-1 = unlimited; Glance `image_count_total`).',
  },
  {
    key: 'image.quota_image_size_total',
    type: 'int',
    default: -1,
    min: -1,
    doc: 'Bytes of image data a project may store (-1 = unlimited; Glance `image_size_total`, here in bytes).',
  },
  {
    key: 'image.quota_image_stage_total',
    type: 'int',
    default: -1,
    min: -1,
    doc: 'Bytes a project may hold in staging for `glance-direct` imports (-1 = unlimited).',
  },
  { key: 'image.property_quota', type: 'int', default: 128, min: -1, doc: 'Additional properties per image (-1 = unlimited).' },
  { key: 'image.tag_quota', type: 'int', default: 128, min: -1, doc: 'Tags per image (-1 = unlimited).' },
  { key: 'image.member_quota', type: 'int', default: 128, min: -1, doc: 'Members per image (-1 = unlimited).' },
  { key: 'image.limit_param_default', type: 'int', default: 25, min: 1, doc: 'Page size of image lists when `limit` is not given.' },
  { key: 'image.api_limit_max', type: 'int', default: 1000, min: 1, doc: 'Largest page size of image lists.' },
  { key: 'image.policy_file', type: 'string', default: '', doc: 'YAML/JSON policy overrides (oslo.policy syntax) for image rules.' },
  {
    key: 'image.web_download_allowed_ports',
    type: 'string',
    default: '80,443',
    doc: 'Comma-separated ports `web-download` may fetch from (empty = any), as Glance `[import_filtering_opts] allowed_ports`.',
  },
  {
    key: 'image.web_download_disallowed_hosts',
    type: 'string',
    default: '',
    doc: 'Comma-separated host names or addresses `web-download` must not fetch from.',
  },
  {
    key: 'image.show_multiple_locations',
    type: 'bool',
    default: false,
    doc: 'Glance `show_multiple_locations`: images show `locations` and `direct_url`, and owners may add http(s) locations (filtered like `web-download`).',
  },
  {
    key: 'image.stores',
    type: 'string',
    default: '',
    doc: 'Multiple stores (Glance `enabled_backends`): comma-separated `id:type` (type `file`), each under `<store_dir>/<id>`. Empty = one store in `store_dir`.',
  },
  {
    key: 'image.default_store',
    type: 'string',
    default: '',
    doc: 'Store of uploads that name none, with `image.stores`. Default: the first.',
  },
  {
    key: 'image.cache_enabled',
    type: 'bool',
    default: false,
    doc: 'Serve the image cache API (`/v2/cache`, admin only); cached data is copied to `<store_dir>/cache`.',
  },
  {
    key: 'image.cache_prefetcher_interval',
    type: 'int',
    default: 300,
    min: 1,
    doc: 'Seconds between runs of the image cache prefetcher, which caches the images queued a full interval earlier.',
  },
  {
    key: 'service_auth.url',
    type: 'string',
    default: '',
    doc: 'Identity URL (`http://host:5000/v3`) an API service run on its own (`kumo serve image`) validates tokens against.',
  },
  {
    key: 'service_auth.username',
    type: 'string',
    default: '',
    doc: 'Service user that validates tokens (needs the `service` or `admin` role).',
  },
  { key: 'service_auth.password', type: 'string', default: '', doc: 'Password of `service_auth.username`.' },
  { key: 'service_auth.project_name', type: 'string', default: 'service', doc: 'Project the service user is scoped to.' },
  { key: 'service_auth.user_domain_name', type: 'string', default: 'Default', doc: 'Domain of the service user.' },
  { key: 'service_auth.project_domain_name', type: 'string', default: 'Default', doc: 'Domain of the service project.' },
  {
    key: 'service_auth.cache_time',
    type: 'int',
    default: 300,
    min: 0,
    doc: 'Seconds a remotely validated token is trusted without asking again (keystonemiddleware `token_cache_time`).',
  },
];
