// Structured JSON logs (pino): access and error logs share one stream, told apart by `log`.
// Pretty-printed when a person is watching a terminal, JSON otherwise.
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  /** Destination file descriptor or path; stdout by default. */
  destination?: string | number;
  base?: Record<string, unknown>;
}

// Never log credentials: these paths are censored wherever they appear in a log object.
export const REDACT_PATHS = [
  'headers.authorization', 'headers["proxy-authorization"]', 'headers.cookie', 'headers["set-cookie"]',
  'req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.token', '*.api_key',
];

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.PORTCULLIS_LOG_LEVEL ?? 'info';
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && process.env.CI === undefined && process.env.PORTCULLIS_LOG_FORMAT !== 'json');
  const base = { pid: process.pid, ...opts.base };
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (pretty) {
    return pino({ level, base, redact, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } } });
  }
  const dest = pino.destination({ dest: opts.destination ?? 1, sync: false });
  return pino({ level, base, redact, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** Flushes buffered log lines (before exit). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // a destination that is gone cannot be flushed; nothing else to do
  }
}
