import { KumoError } from '../errors.js';

/** A microversion such as compute 2.79, comparable. */
export class Microversion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): Microversion | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(text.trim());
    return m ? new Microversion(Number(m[1]), Number(m[2])) : undefined;
  }

  /** True when this version is at least `other` ("2.19"). */
  atLeast(other: string): boolean {
    const o = Microversion.parse(other);
    if (!o) throw new Error(`bad microversion literal ${other}`);
    return this.major > o.major || (this.major === o.major && this.minor >= o.minor);
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export interface MicroversionPolicy {
  /** Service type in the `OpenStack-API-Version` header ("compute", "placement", "volume"). */
  serviceType: string;
  /** Legacy header some clients still send (`X-OpenStack-Nova-API-Version`). */
  legacyHeader?: string;
  min: string;
  max: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Picks the microversion of a request: absent → min, `latest` → max, out of
 * range → 406 as Nova and Placement answer.
 */
export function negotiateMicroversion(headers: Headers, policy: MicroversionPolicy): Microversion {
  const min = Microversion.parse(policy.min);
  const max = Microversion.parse(policy.max);
  if (!min || !max) throw new Error('bad microversion policy');
  let requested: string | undefined;
  const modern = header(headers, 'openstack-api-version');
  if (modern) {
    for (const part of modern.split(',')) {
      const [svc, ver] = part.trim().split(/\s+/);
      if (svc?.toLowerCase() === policy.serviceType && ver) requested = ver;
    }
  }
  if (!requested && policy.legacyHeader) requested = header(headers, policy.legacyHeader);
  if (!requested) return min;
  if (requested.toLowerCase() === 'latest') return max;
  const v = Microversion.parse(requested);
  if (!v) {
    throw new KumoError('invalid_microversion', 400, `Invalid API version request: ${requested}`);
  }
  const below = v.major < min.major || (v.major === min.major && v.minor < min.minor);
  const above = v.major > max.major || (v.major === max.major && v.minor > max.minor);
  if (below || above) {
    throw new KumoError(
      'unsupported_microversion',
      406,
      `Version ${requested} is not supported by the API. Minimum is ${policy.min} and maximum is ${policy.max}.`,
    );
  }
  return v;
}

/** Response headers that announce the microversion served. */
export function microversionHeaders(v: Microversion, policy: MicroversionPolicy): Record<string, string> {
  const h: Record<string, string> = {
    'openstack-api-version': `${policy.serviceType} ${v.toString()}`,
    vary: policy.legacyHeader ? `OpenStack-API-Version, ${policy.legacyHeader}` : 'OpenStack-API-Version',
  };
  if (policy.legacyHeader) h[policy.legacyHeader.toLowerCase()] = v.toString();
  return h;
}
