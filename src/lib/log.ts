// Logs go to stderr only: stdout carries exactly one JSON value for the engine.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const RANK: Record<Level, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/**
 * Reads the level from SKIFF_LOG, else RUST_LOG (podman passes `netavark=<level>`;
 * a bare level or a comma list of `target=level` is accepted too). Default warn.
 */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): Level {
  for (const raw of [env.SKIFF_LOG, env.RUST_LOG]) {
    if (!raw) continue;
    for (const part of raw.split(',')) {
      const value = (part.includes('=') ? part.slice(part.indexOf('=') + 1) : part).trim().toLowerCase();
      if (value === 'off') return 'silent';
      if ((LEVELS as readonly string[]).includes(value)) return value as Level;
    }
  }
  return 'warn';
}

type LogFn = (msg: string, fields?: Record<string, unknown>) => void;
export interface Log {
  readonly level: Level;
  enabled(level: Level): boolean;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

let pinoLogger: Logger | undefined;

/**
 * pino stays outside the bundle and is required on the first line actually
 * logged: a quiet, successful `skiff setup` (the common case) never loads it.
 */
function loadPino(level: Level, name: string): Logger {
  const require = createRequire(import.meta.url);
  const pino = require('pino') as typeof import('pino');
  return pino.default(
    { name, level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}

export function createLog(name: string, level: Level = levelFromEnv()): Log {
  const emit = (lvl: Exclude<Level, 'silent' | 'fatal'>): LogFn => (msg, fields) => {
    if (RANK[lvl] < RANK[level]) return;
    pinoLogger ??= loadPino(level, name);
    if (fields) pinoLogger[lvl](fields, msg);
    else pinoLogger[lvl](msg);
  };
  return {
    level,
    enabled: (l) => RANK[l] >= RANK[level],
    trace: emit('trace'),
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
  };
}
