import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { KumoError, internalError, isKumoError, payloadTooLarge, unauthorized, validationError } from '../errors.js';
import { newRequestId } from '../ids.js';
import type { Logger } from '../log.js';
import type { AuthContext, TokenValidator } from './auth-context.js';
import { renderFault, type FaultStyle } from './faults.js';
import type { Metrics } from './metrics.js';
import { describeValidationError, schemaCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the token hook for authenticated routes; null on public routes. */
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** Every route registered, for route-table tests (bad input on every route). */
    kumoRoutes: { method: string; url: string; public: boolean }[];
  }
  interface FastifyContextConfig {
    /** Route needs no token (version documents, token issue, health). */
    public?: boolean;
  }
}

export interface ServiceAppOptions {
  /** Service name for logs and metrics ("identity"). */
  name: string;
  faultStyle: FaultStyle;
  logger: Logger;
  metrics: Metrics;
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Validates X-Auth-Token on every non-public route. */
  tokens: TokenValidator;
  /** Extra readiness check for /healthcheck (e.g. a database ping). */
  healthy?: () => Promise<boolean>;
  /** Rewrites a request's URL before routing (Neutron's optional `.json` suffix). */
  rewriteUrl?: (url: string) => string;
}

/**
 * The HTTP application every Kumo API service is built on: request IDs,
 * strict JSON-schema validation, OpenStack fault bodies, body limits,
 * authentication by default, /healthcheck and /metrics.
 */
export function createServiceApp(opts: ServiceAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger.child({ service: opts.name }) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    genReqId: () => newRequestId(),
    // Requests are logged once, on response, by the hook below.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ...(opts.rewriteUrl ? { rewriteUrl: (req: { url?: string }) => opts.rewriteUrl!(req.url ?? '/') } : {}),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Errors raised before routing (bad URL encoding, bad headers) get the service's fault body too.
    frameworkErrors: (error, req, reply) => {
      sendFault(reply, req, opts.faultStyle, new KumoError('bad_request', 400, error.message));
    },
  });
  app.setValidatorCompiler(schemaCompiler);
  const routes: FastifyInstance['kumoRoutes'] = [];
  app.decorate('kumoRoutes', routes);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const isPublic = Boolean((r.config as { public?: boolean } | undefined)?.public);
    for (const m of methods) routes.push({ method: String(m), url: r.url, public: isPublic });
  });
  app.decorateRequest('auth', null);

  // Clients send `Content-Type: application/json` with empty bodies on DELETE and some POSTs.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    if (text.includes('\\u0000')) return done(nulError(), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new KumoError('malformed_json', 400, 'Malformed JSON in request body.'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    // PostgreSQL cannot store NUL in text; no OpenStack identifier or name holds one.
    if (/%00/.test(req.url)) throw nulError();
    if (req.routeOptions.config.public) return;
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || token === '') throw unauthorized();
    req.auth = await opts.tokens.validate(token);
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    opts.metrics.httpDuration.labels(opts.name, req.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    req.log.info(
      { method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | KumoError, req, reply) => {
    const err = toKumoError(error);
    if (err.status >= 500) req.log.error({ err: error }, 'request failed');
    sendFault(reply, req, opts.faultStyle, err);
  });

  app.setNotFoundHandler((req, reply) => {
    sendFault(reply, req, opts.faultStyle, new KumoError('not_found', 404, 'The resource could not be found.'));
  });

  app.get('/healthcheck', { config: { public: true } }, async (_req, reply) => {
    const ok = opts.healthy ? await opts.healthy().catch(() => false) : true;
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain')
      .send(ok ? 'OK' : 'UNAVAILABLE');
  });

  app.get('/metrics', { config: { public: true } }, async (_req, reply) => {
    return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });

  return app;
}

function sendFault(reply: FastifyReply, req: FastifyRequest, style: FaultStyle, err: KumoError): void {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  void reply
    .code(err.status)
    .type('application/json')
    .send(renderFault(style, err, { requestId: req.id }));
}

const nulError = (): KumoError => new KumoError('validation_error', 400, 'Invalid input: NUL characters are not allowed.');

/** Maps whatever was thrown to the one error type clients see. */
function toKumoError(error: unknown): KumoError {
  if (isKumoError(error)) return error;
  const e = error as FastifyError;
  if (e.validation) return validationError(describeValidationError(e.validation, e.validationContext ?? 'body'));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KumoError('unsupported_media_type', 415, 'Unsupported Content-Type.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KumoError('bad_request', 400, e.message);
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new KumoError('bad_request', e.statusCode, e.message);
  }
  return internalError();
}

/** The externally visible base URL of a request ("http://host:5000"), for links. */
export function requestBaseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}
