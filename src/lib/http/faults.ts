import { HTTP_TITLES, type KumoError } from '../errors.js';

/**
 * Each OpenStack API family has its own fault body. A service picks its
 * family once; every error it raises is rendered here and nowhere else.
 */
export type FaultStyle = 'keystone' | 'nova' | 'neutron' | 'placement' | 'glance';

export interface FaultContext {
  requestId: string;
}

const NOVA_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

function title(status: number): string {
  return HTTP_TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/** `port_not_found` → `PortNotFound`, as Neutron names its exception types. */
function camel(code: string): string {
  return code
    .split(/[_\-.]/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}

export function renderFault(style: FaultStyle, err: KumoError, ctx: FaultContext): unknown {
  const { status, message } = err;
  switch (style) {
    case 'keystone':
      return { error: { code: status, title: title(status), message } };
    case 'nova':
      return { [NOVA_NAMES[status] ?? 'computeFault']: { code: status, message } };
    case 'neutron':
      return { NeutronError: { type: camel(err.code), message, detail: '' } };
    case 'placement':
      return {
        errors: [
          {
            status,
            title: title(status),
            detail: message,
            request_id: ctx.requestId,
            code: err.code.startsWith('placement.') ? err.code : 'placement.undefined_code',
          },
        ],
      };
    case 'glance':
      // Glance answers with webob's plain error page; clients only read the status and text.
      return { code: status, title: title(status), message };
  }
}
