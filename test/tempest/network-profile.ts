/**
 * Tempest's network API suite against Kumo: the agent runs the `fake`
 * driver, so the data plane is off (ports are reported plugged, nothing on
 * the host changes) and only the API is under test. Configure creates the
 * external `public` network DevStack makes for Tempest (flat on `provider`,
 * 203.0.113.0/24) and lists the extensions the API really serves.
 */
import { call } from './cloud-api.js';
import type { ConfSections } from './tempest-conf.js';
import type { ProbeContext, ServiceProfile } from './services.js';

/** The external flat network `public` on `provider` (203.0.113.0/24, gateway .1) DevStack makes for Tempest; its id. */
export async function createPublicNetwork(url: string, token: string): Promise<string> {
  const pub = (await call(url, token, 'POST', '/v2.0/networks', {
    network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'provider' },
  })) as { network: { id: string } };
  await call(url, token, 'POST', '/v2.0/subnets', {
    subnet: {
      network_id: pub.network.id,
      name: 'public-subnet',
      ip_version: 4,
      cidr: '203.0.113.0/24',
      gateway_ip: '203.0.113.1',
      allocation_pools: [{ start: '203.0.113.100', end: '203.0.113.250' }],
      enable_dhcp: false,
    },
  });
  return pub.network.id;
}

/** The aliases /v2.0/extensions lists. */
export async function networkExtensions(url: string, token: string): Promise<string[]> {
  return ((await call(url, token, 'GET', '/v2.0/extensions')) as { extensions: { alias: string }[] }).extensions.map((e) => e.alias);
}

export const network: ServiceProfile = {
  name: 'network',
  catalog: ['network'],
  requiredPrefix: 'tempest.api.network.',
  requiredTitle: 'Interop 2022.11 required network tests',
  fullRegex: '^tempest\\.api\\.network\\.',
  fullTitle: 'Network API suite (admin included)',
  httpImage: false,
  cloudEnv: () => ({ KUMO_AGENT_DRIVER: 'fake', KUMO_AGENT_HOST: 'kumo-network-1' }),
  configure: async ({ cloud, token }: ProbeContext) => {
    const url = (cloud.endpoints.network as string).replace(/\/+$/, '');
    const pub = { network: { id: await createPublicNetwork(url, token) } };
    const ext = await networkExtensions(url, token);
    const overrides: ConfSections = {
      service_available: { neutron: true, nova: false, glance: false },
      network: {
        catalog_type: 'network',
        endpoint_type: 'public',
        public_network_id: pub.network.id,
        floating_network_name: 'public',
        project_network_cidr: '10.100.0.0/16',
        project_network_mask_bits: 28,
        project_network_v6_cidr: '2001:db8::/48',
        project_network_v6_mask_bits: 64,
        build_timeout: 60,
        build_interval: 1,
      },
      'network-feature-enabled': {
        api_extensions: ext.join(','),
        ipv6: true,
        ipv6_subnet_attributes: true,
        port_security: true,
        floating_ips: true,
      },
      validation: { run_validation: false },
    };
    return {
      overrides,
      notes: [
        'Cloud: fresh `kumo up` per phase (SQLite, 127.0.0.1, free ports), agent on the `fake` driver (no data plane: ports are reported plugged); an external flat network `public` on `provider` with 203.0.113.0/24 created first, as DevStack does.',
        `Tempest: dynamic credentials as admin; \`[service_available]\` neutron = true, nova, glance = false; \`[network-feature-enabled]\` ipv6, ipv6_subnet_attributes, port_security, floating_ips = true, api_extensions = the ${ext.length} aliases /v2.0/extensions lists.`,
      ],
    };
  },
};
