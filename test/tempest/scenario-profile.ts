/**
 * Tempest's basic scenarios on real guests: the whole run (cloud, guests,
 * data plane and Tempest) happens inside a network namespace of its own,
 * where the provider bridge carries 203.0.113.0/24 with the namespace as its
 * gateway (203.0.113.1), so Tempest reaches the floating IPs it SSHes to.
 * The agent runs QEMU (KVM when usable, TCG otherwise) with Kumo's tiny
 * cirros-like guest; its DHCP and router namespaces carry the run's prefix.
 */
import { readFileSync } from 'node:fs';
import { ensureGuestImage } from '../support/guest-image.js';
import { call } from './cloud-api.js';
import { FEATURES, uploadImage } from './compute-profile.js';
import { createPublicNetwork, networkExtensions } from './network-profile.js';
import type { ConfSections } from './tempest-conf.js';
import type { ProbeContext, ServiceProfile } from './services.js';

export const scenario: ServiceProfile = {
  name: 'scenario',
  catalog: ['image', 'placement', 'compute', 'network'],
  requiredPrefix: null,
  requiredTitle: '',
  fullRegex:
    '^tempest\\.(scenario\\.(test_network_basic_ops\\.TestNetworkBasicOps\\.test_network_basic_ops|test_server_basic_ops\\.TestServerBasicOps\\.test_server_basic_ops)|api\\.compute\\.servers\\.(test_attach_interfaces|test_create_server\\.ServersTestJSON\\.(test_host_name_is_same_as_server_name|test_verify_created_server_vcpus)))',
  fullTitle:
    'Scenarios test_network_basic_ops and test_server_basic_ops, interface attach and the validation-only interop compute tests, on real guests (run_validation = true)',
  httpImage: false,
  netns: true,
  // The guest image is built from Debian packages, which the namespace cannot download.
  prepare: async () => void (await ensureGuestImage()),
  cloudEnv: () => {
    const ns = process.env.KUMO_CONFORMANCE_NETNS;
    if (!ns) throw new Error('the scenario profile runs inside its network namespace only');
    return {
      KUMO_AGENT_DRIVER: 'qemu',
      KUMO_AGENT_HOST: 'kumo-scenario-1',
      KUMO_NETWORK_NETNS_PREFIX: `${ns}-`,
      // VXLAN endpoints need an address in the namespace: the provider gateway's.
      KUMO_AGENT_TUNNEL_IP: '203.0.113.1',
    };
  },
  configure: async ({ cloud, token }: ProbeContext) => {
    const net = (cloud.endpoints.network as string).replace(/\/+$/, '');
    const computeUrl = (cloud.endpoints.compute as string).replace(/\/+$/, '');
    const imageUrl = new URL(cloud.endpoints.image as string).origin;
    const publicId = await createPublicNetwork(net, token);
    const image = readFileSync(await ensureGuestImage());
    const imageRef = await uploadImage(imageUrl, token, 'cirros', image);
    await call(computeUrl, token, 'POST', '/flavors', { flavor: { id: '42', name: 'm1.small', ram: 128, vcpus: 1, disk: 1 } });
    const ext = await networkExtensions(net, token);
    const versions = (await call(computeUrl, token, 'GET', '')) as { version?: { version?: string; min_version?: string } };
    const features = { ...FEATURES, metadata_service: true, config_drive: false };
    const overrides: ConfSections = {
      auth: { create_isolated_networks: true },
      service_available: { nova: true, glance: true, placement: true, neutron: true },
      compute: {
        image_ref: imageRef,
        image_ref_alt: imageRef,
        flavor_ref: '42',
        flavor_ref_alt: '42',
        build_timeout: 300,
        build_interval: 2,
        min_compute_nodes: 1,
        min_microversion: versions.version?.min_version ?? '2.1',
        max_microversion: versions.version?.version ?? '2.1',
      },
      'compute-feature-enabled': features,
      network: {
        public_network_id: publicId,
        floating_network_name: 'public',
        project_network_cidr: '10.100.0.0/16',
        project_network_mask_bits: 28,
        project_networks_reachable: false,
        build_timeout: 120,
        build_interval: 2,
      },
      'network-feature-enabled': { api_extensions: ext.join(','), floating_ips: true, port_security: true, ipv6: false },
      validation: {
        run_validation: true,
        connect_method: 'floating',
        auth_method: 'keypair',
        image_ssh_user: 'cirros',
        image_alt_ssh_user: 'cirros',
        ip_version_for_ssh: 4,
        ping_timeout: 120,
        connect_timeout: 30,
        ssh_timeout: 300,
      },
      scenario: { dhcp_client: 'udhcpc' },
      image: { build_timeout: 120, build_interval: 1 },
    };
    return {
      overrides,
      notes: [
        'Cloud: fresh `kumo up` (SQLite, 127.0.0.1) inside a network namespace of the run, with Tempest beside it; the agent on QEMU (TCG here) with the tiny cirros-like guest (docs/guest-image.md) as image, flavor m1.small (1 vCPU, 128 MiB, 1 GB); an external flat network `public` on `provider`, 203.0.113.0/24 with the namespace as gateway 203.0.113.1, as DevStack has it.',
        '`[validation]` run_validation = true, connect_method = floating, auth_method = keypair, image_ssh_user = cirros; `[auth]` create_isolated_networks = true; `[compute-feature-enabled]` metadata_service = true, config_drive = false (the guest has no sudo to mount it), the rest as in the compute run.',
      ],
    };
  },
};
