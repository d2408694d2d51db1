/**
 * Tempest's compute suite against Kumo: the cloud runs the agent with the
 * `fake` driver (as Nova's own API jobs can, and so a run of hundreds of
 * servers fits a 2-core machine); real QEMU guests are exercised by the
 * end-to-end tests. Configure uploads two images and creates two flavors the
 * way DevStack does for Tempest.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from './cloud-api.js';
import { createPublicNetwork, networkExtensions } from './network-profile.js';
import type { ConfSections } from './tempest-conf.js';
import type { ProbeContext, ServiceProfile } from './services.js';

/** A small real qcow2 (the fake driver does not boot it, but the agent caches and checks it). */
function smallQcow2(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-tempest-img-'));
  try {
    const file = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M']);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function uploadImage(imageUrl: string, token: string, name: string, data: Buffer): Promise<string> {
  const img = (await call(imageUrl, token, 'POST', '/v2/images', {
    name,
    disk_format: 'qcow2',
    container_format: 'bare',
    visibility: 'public',
  })) as { id: string };
  await call(imageUrl, token, 'PUT', `/v2/images/${img.id}/file`, undefined, data);
  return img.id;
}

export const FEATURES = {
  // What Kumo's compute API and agent serve.
  console_output: true,
  resize: true,
  pause: true,
  suspend: true,
  snapshot: true,
  vnc_console: true,
  enable_instance_password: true,
  disk_config: true,
  config_drive: true,
  hostname_fqdn_sanitization: true,
  // Not served (yet): say so rather than fail.
  change_password: false,
  shelve: false,
  shelve_migrate: false,
  cold_migration: false,
  live_migration: false,
  live_migrate_back_and_forth: false,
  metadata_service: false,
  block_migration_for_live_migration: false,
  block_migrate_cinder_iscsi: false,
  spice_console: false,
  rdp_console: false,
  serial_console: false,
  rescue: false,
  stable_rescue: false,
  interface_attach: true,
  personality: false,
  attach_encrypted_volume: false,
  swap_volume: false,
  volume_backed_live_migration: false,
  volume_multiattach: false,
  xenapi_apis: false,
  ide_bus: false,
  unified_limits: false,
  nova_cert: false,
};

export const compute: ServiceProfile = {
  name: 'compute',
  catalog: ['image', 'placement', 'compute', 'network'],
  requiredPrefix: 'tempest.api.compute.',
  requiredTitle: 'Interop 2022.11 required compute tests',
  // Non-admin compute API tests (the 80 % target); admin tests are not counted.
  fullRegex: '^tempest\\.api\\.compute\\.(?!admin\\.)',
  fullTitle: 'Non-admin compute API suite',
  httpImage: false,
  cloudEnv: () => ({ KUMO_AGENT_DRIVER: 'fake', KUMO_AGENT_HOST: 'kumo-compute-1' }),
  configure: async ({ cloud, token }: ProbeContext) => {
    const imageUrl = new URL(cloud.endpoints.image as string).origin;
    const computeUrl = (cloud.endpoints.compute as string).replace(/\/+$/, '');
    const data = smallQcow2();
    const imageRef = await uploadImage(imageUrl, token, 'tempest-image', data);
    const imageRefAlt = await uploadImage(imageUrl, token, 'tempest-image-alt', data);
    const flavor = async (id: string, name: string, ram: number, disk: number): Promise<string> => {
      await call(computeUrl, token, 'POST', '/flavors', { flavor: { id, name, ram, vcpus: 1, disk } });
      return id;
    };
    const flavorRef = await flavor('42', 'm1.nano', 128, 1);
    const flavorRefAlt = await flavor('84', 'm1.micro', 192, 2);
    const versions = (await call(computeUrl, token, 'GET', '')) as { version?: { version?: string; min_version?: string } };
    const networkUrl = (cloud.endpoints.network as string).replace(/\/+$/, '');
    const publicId = await createPublicNetwork(networkUrl, token);
    const ext = await networkExtensions(networkUrl, token);
    const overrides: ConfSections = {
      // As DevStack: every test project gets a network, subnet and router (on `public`) from dynamic credentials.
      auth: { create_isolated_networks: true },
      service_available: { nova: true, glance: true, placement: true, neutron: true },
      network: {
        public_network_id: publicId,
        floating_network_name: 'public',
        project_network_cidr: '10.100.0.0/16',
        project_network_mask_bits: 28,
      },
      'network-feature-enabled': { api_extensions: ext.join(','), floating_ips: true, port_security: true },
      compute: {
        catalog_type: 'compute',
        endpoint_type: 'public',
        image_ref: imageRef,
        image_ref_alt: imageRefAlt,
        flavor_ref: flavorRef,
        flavor_ref_alt: flavorRefAlt,
        build_timeout: 120,
        build_interval: 1,
        min_compute_nodes: 1,
        min_microversion: versions.version?.min_version ?? '2.1',
        max_microversion: versions.version?.version ?? '2.1',
      },
      'compute-feature-enabled': FEATURES,
      validation: { run_validation: false },
      image: { build_timeout: 60, build_interval: 1 },
    };
    const on = Object.entries(FEATURES)
      .filter(([, v]) => v)
      .map(([k]) => k);
    return {
      overrides,
      notes: [
        'Cloud: fresh `kumo up` per phase (SQLite, 127.0.0.1, free ports) with the agent on the `fake` driver (host kumo-compute-1; ports are reported plugged, no data plane); two public 64 MiB qcow2 images, flavors m1.nano (42: 1 vCPU, 128 MiB, 1 GB) and m1.micro (84: 1 vCPU, 192 MiB, 2 GB) and the external network `public` (flat, 203.0.113.0/24) created first, as DevStack does.',
        `Tempest: dynamic credentials as admin with isolated networks; \`[service_available]\` nova, glance, placement, neutron = true, cinder = false; \`[validation]\` run_validation=false; microversions ${versions.version?.min_version ?? '?'}–${versions.version?.version ?? '?'} (probed); \`[compute-feature-enabled]\` true: ${on.join(', ')}; everything else false.`,
      ],
    };
  },
};
