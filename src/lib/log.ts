import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths that must never reach a log line. */
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'original_password',
  '*.original_password',
  'secret',
  '*.secret',
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  'req.headers.authorization',
  'res.headers["x-subject-token"]',
];

export interface LogOptions {
  level: string;
  /** Pretty single-line output for a terminal instead of JSON lines. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT, censor: '***' },
    base: { pid: process.pid },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
