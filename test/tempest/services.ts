/**
 * What a conformance run of one service needs: which tests (the interop
 * required list and the whole API suite), which catalog entries, what the
 * cloud must be told, and which tempest.conf options say what Kumo serves.
 * Feature flags come from read-only probes where the API can tell; the rest
 * are stated here with the reason.
 */
import type { Cloud } from './kumo-cloud.js';
import type { HttpImage } from './http-image-server.js';
import { compute } from './compute-profile.js';
import { network } from './network-profile.js';
import { scenario } from './scenario-profile.js';
import { securityComplianceEnv, type ConfSections, type IdentityExtension, type SecurityCompliance } from './tempest-conf.js';

export interface ProbeContext {
  cloud: Cloud;
  /** An admin token for read-only probes. */
  token: string;
  identityExtensions: IdentityExtension[];
  httpImage?: HttpImage;
}

export interface Configured {
  /** tempest.conf sections and options over the identity-only base. */
  overrides: ConfSections;
  /** Lines for docs/conformance.md: how the cloud and Tempest were set up. */
  notes: string[];
}

export interface ServiceProfile {
  /** The command-line word and the docs/conformance.md section marker. */
  name: string;
  /** Catalog types `kumo up` must list besides identity. */
  catalog: string[];
  /** Selects the service's lines of the interop load-list (full Tempest IDs); null: none there (scenarios). */
  requiredPrefix: string | null;
  requiredTitle: string;
  fullRegex: string;
  fullTitle: string;
  /** Serve a file on 127.0.0.1 for `[image] http_image` (web-download imports). */
  httpImage: boolean;
  /**
   * Run the cloud and Tempest inside a network namespace of this run (real
   * guests and a data plane Tempest must reach by floating IP): the script
   * re-runs itself there and deletes the namespace, and the agent's, after.
   */
  netns?: boolean;
  /** Work that needs the machine's network (package downloads), done before a `netns` run enters its namespace. */
  prepare?(): Promise<void>;
  securityCompliance?: SecurityCompliance;
  cloudEnv(ctx: { httpImage?: HttpImage }): Record<string, string>;
  configure(ctx: ProbeContext): Promise<Configured>;
}

/** Matches the defaults of Tempest's [identity] user_lockout_* options and the task's cloud settings. */
const SECURITY: SecurityCompliance = { lockoutFailureAttempts: 2, lockoutDuration: 5, uniqueLastPasswordCount: 2 };

const identity: ServiceProfile = {
  name: 'identity',
  catalog: [],
  requiredPrefix: 'tempest.api.identity.',
  requiredTitle: 'Interop 2022.11 required identity tests',
  fullRegex: '^tempest\\.api\\.identity\\.(v3|admin\\.v3)',
  fullTitle: 'Full identity v3 API suite',
  httpImage: false,
  securityCompliance: SECURITY,
  cloudEnv: () => ({ ...securityComplianceEnv(SECURITY), KUMO_AGENT_ENABLED: 'false' }),
  configure: async ({ identityExtensions: ext }) => ({
    overrides: {},
    notes: [
      `Cloud: fresh \`kumo up\` per phase (SQLite, 127.0.0.1, free port) with security compliance on: lockout after ${SECURITY.lockoutFailureAttempts} failures for ${SECURITY.lockoutDuration} s, ${SECURITY.uniqueLastPasswordCount} unique last passwords, minimum password age 0.`,
      'Tempest: dynamic credentials as admin; `[identity-feature-enabled]` api_v2=false, trust=true, access_rules=false, application_credentials=true, project_tags=true, security_compliance=true, domain_specific_drivers=false, ' +
        `api_extensions=${ext.join(',') || '(none)'} (probed); every \`[service_available]\` flag false (identity only).`,
    ],
  }),
};

/**
 * Tempest's own defaults (not tuned to Kumo). The order matters:
 * most tests use the first of each (ami/ami), ListUserImagesTest the first six
 * pairs (ami × ami,ari,aki,vhd,vmdk,raw), always with random bytes as data.
 * Glance inspects content only for container_format bare, so these pass there
 * even where the disk format has a signature; `bare` first would make Tempest
 * upload random bytes as bare/qcow2, which Glance (require_image_format_match)
 * rightly refuses.
 */
const CONTAINER_FORMATS = 'ami,ari,aki,bare,ovf,ova';
const DISK_FORMATS = 'ami,ari,aki,vhd,vmdk,raw,qcow2,vdi,iso,vhdx';

interface ImageProbes {
  importMethods: string[];
  /** Store ids from /v2/info/stores, or undefined when it answers 404 (single store, as Glance without multi-store). */
  stores?: string[];
  cacheStatus: number;
  versions: string;
}

async function probeImage(base: string, token: string): Promise<ImageProbes> {
  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const r = await fetch(`${base}${path}`, { headers: { 'x-auth-token': token, accept: 'application/json' } });
    const text = await r.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: r.status, body };
  };
  const imp = await get('/v2/info/import');
  const methods = (imp.body as { 'import-methods'?: { value?: string[] } } | undefined)?.['import-methods']?.value ?? [];
  const st = await get('/v2/info/stores');
  const stores = st.status === 200 ? ((st.body as { stores?: { id: string }[] }).stores ?? []).map((s) => s.id) : undefined;
  const cache = await get('/v2/cache');
  const ver = await get('/');
  const list = ((ver.body as { versions?: { id: string; status: string }[] } | undefined)?.versions ?? []).map(
    (v) => `${v.id} ${v.status}`,
  );
  return {
    importMethods: imp.status === 200 ? methods : [],
    stores,
    cacheStatus: cache.status,
    versions: `GET / → ${ver.status}: ${list.join(', ') || 'no versions'}`,
  };
}

const image: ServiceProfile = {
  name: 'image',
  catalog: ['image'],
  requiredPrefix: 'tempest.api.image.',
  requiredTitle: 'Interop 2022.11 required image tests',
  fullRegex: '^tempest\\.api\\.image\\.v2\\.',
  fullTitle: 'Full image v2 API suite (admin included)',
  httpImage: true,
  // 80 and 443 stay allowed (Glance's defaults) so a bad URL fails in the download, as Tempest expects, not in filtering.
  // Two file stores: the multiple-store tests (info/stores, copy-image) run instead of skipping.
  cloudEnv: ({ httpImage }): Record<string, string> => ({
    KUMO_AGENT_ENABLED: 'false',
    KUMO_IMAGE_STORES: 'fast:file,slow:file',
    KUMO_IMAGE_CACHE_ENABLED: 'true',
    // Tempest waits build_timeout (60 s) for a queued image to be cached; Glance's default run interval is 300 s.
    KUMO_IMAGE_CACHE_PREFETCHER_INTERVAL: '5',
    // The locations API (ImageLocationsTest): http_image is on an allowed port, so it can be a location.
    KUMO_IMAGE_SHOW_MULTIPLE_LOCATIONS: 'true',
    ...(httpImage ? { KUMO_IMAGE_WEB_DOWNLOAD_ALLOWED_PORTS: `80,443,${httpImage.port}` } : {}),
  }),
  configure: async ({ cloud, token, httpImage }) => {
    const base = new URL(cloud.endpoints.image as string).origin;
    const p = await probeImage(base, token);
    const caching = p.cacheStatus === 200;
    const features = {
      api_v2: true,
      api_v1: false,
      import_image: p.importMethods.length > 0,
      // Kumo reserves os_glance_* as Glance does since Wallaby (403 on create and PATCH); not probeable read-only.
      os_glance_reserved: true,
      // The locations API: the cloud env sets image.show_multiple_locations.
      manage_locations: true,
    };
    const overrides: ConfSections = {
      service_available: { glance: true },
      image: {
        catalog_type: 'image',
        endpoint_type: 'public',
        http_image: httpImage?.url,
        container_formats: CONTAINER_FORMATS,
        disk_formats: DISK_FORMATS,
        image_caching_enabled: caching,
        // Small files on one machine: a minute is ample, and a hung import fails in a minute instead of five.
        build_timeout: 60,
        build_interval: 1,
      },
      'image-feature-enabled': features,
    };
    const flags = Object.entries(features)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    return {
      overrides,
      notes: [
        `Cloud: fresh \`kumo up\` per phase (SQLite, 127.0.0.1, free ports); \`web-download\` may fetch from ports 80, 443 and ${httpImage?.port ?? '?'} (the run's own file server).`,
        `Tempest: dynamic credentials as admin; \`[service_available]\` glance=true (others false); \`[image-feature-enabled]\` ${flags}; \`[image]\` image_caching_enabled=${String(caching)} (probed), container_formats=${CONTAINER_FORMATS}, disk_formats=${DISK_FORMATS}, http_image=${httpImage ? `a ${httpImage.size}-byte file served on 127.0.0.1 by the run` : '(none)'}.`,
        `Probed: import methods ${p.importMethods.join(', ') || '(none)'}; /v2/info/stores ${p.stores ? p.stores.join(', ') || '(empty)' : '404 (single store)'}; /v2/cache ${p.cacheStatus}; ${p.versions}.`,
      ],
    };
  },
};

export const SERVICES: Record<string, ServiceProfile> = { identity, image, compute, network, scenario };
