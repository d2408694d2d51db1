import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { KumoError, badRequest } from '../../lib/errors.js';

/** Glance's `[import_filtering_opts]`: which URLs `web-download` may fetch. */
export class WebDownloadRules {
  readonly #ports: Set<number> | undefined;
  readonly #disallowedHosts: Set<string>;

  constructor(opts: { allowedPorts: string; disallowedHosts: string }) {
    const ports = split(opts.allowedPorts).map(Number);
    this.#ports = ports.length > 0 ? new Set(ports) : undefined;
    this.#disallowedHosts = new Set(split(opts.disallowedHosts).map((h) => h.toLowerCase()));
  }

  /** The URL if policy allows fetching it; 400 otherwise (before the import is accepted). */
  check(uri: string): URL {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw badRequest(`URI for web-download is not a valid URL: ${uri}`, 'invalid_uri');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw badRequest('URI for web-download does not pass filtering: scheme must be http or https.', 'uri_filtered');
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    if (this.#ports && !this.#ports.has(port))
      throw badRequest(`URI for web-download does not pass filtering: port ${port} is not allowed.`, 'uri_filtered');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.#disallowedHosts.has(host))
      throw badRequest(`URI for web-download does not pass filtering: host ${host} is not allowed.`, 'uri_filtered');
    if (url.username || url.password) throw badRequest('URI for web-download must not carry credentials.', 'uri_filtered');
    return url;
  }
}

const split = (s: string): string[] =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

const MAX_REDIRECTS = 5;

/** Opens the body of `url`, re-checking every redirect against the rules. */
export async function fetchForImport(url: URL, rules: WebDownloadRules, signal: AbortSignal): Promise<Readable> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(current, { redirect: 'manual', signal });
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      await res.body?.cancel();
      current = rules.check(new URL(res.headers.get('location') as string, current).toString());
      continue;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new KumoError('import_failed', 400, `web-download of ${current.toString()} failed: HTTP ${res.status}`);
    }
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
  throw new KumoError('import_failed', 400, `web-download of ${url.toString()} followed too many redirects`);
}
