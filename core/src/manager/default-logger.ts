import { createLogger, type Logger } from '../logging/logger.js';

const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * The logger of a manager given none: warnings and errors as JSON lines on
 * stderr, redacted as every payhost log is. Silence would be quieter, but it
 * loses what only the log says: a dropped configuration field, a default
 * gateway passed over, a plugin that failed or timed out, a close that threw.
 * A library must leave stdout to its host, so stderr; `PAYHOST_LOG_LEVEL`
 * sets another level (`silent`: none), as it does for createLogger.
 */
export function defaultManagerLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const wanted = env['PAYHOST_LOG_LEVEL'];
  const level = wanted !== undefined && LEVELS.has(wanted) ? wanted : 'warn';
  // Named as the server's and the CLI's lines are, so a host's log pipeline can tell payhost's apart.
  return createLogger({ level, name: 'payhost' }, { write: (line: string) => void process.stderr.write(line) });
}
