/**
 * One error type for the whole of Kumo. Every failure a client can see is a
 * KumoError with a stable code, an HTTP status and a message; each API family
 * renders it once into its own fault body (see lib/http/faults.ts).
 */
export class KumoError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra headers the response must carry (e.g. WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string>;

  constructor(code: string, status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'KumoError';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/** HTTP reason phrases used as fault titles. */
export const HTTP_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export const badRequest = (message: string, code = 'bad_request'): KumoError => new KumoError(code, 400, message);

export const validationError = (message: string): KumoError => new KumoError('validation_error', 400, message);

export const unauthorized = (message = 'The request you have made requires authentication.', code = 'unauthorized'): KumoError =>
  new KumoError(code, 401, message);

export const forbidden = (message = 'You are not authorized to perform the requested action.', code = 'forbidden'): KumoError =>
  new KumoError(code, 403, message);

export const notFound = (message: string, code = 'not_found'): KumoError => new KumoError(code, 404, message);

export const conflict = (message: string, code = 'conflict'): KumoError => new KumoError(code, 409, message);

export const notImplemented = (message: string): KumoError => new KumoError('not_implemented', 501, message);

export const payloadTooLarge = (message = 'Request Entity Too Large'): KumoError => new KumoError('payload_too_large', 413, message);

export const internalError = (message = 'An unexpected error prevented the server from fulfilling your request.'): KumoError =>
  new KumoError('internal_error', 500, message);

export function isKumoError(e: unknown): e is KumoError {
  return e instanceof KumoError;
}
