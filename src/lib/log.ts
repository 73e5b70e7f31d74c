// Logs go to stderr only: stdout carries exactly one JSON value for the engine.
// pino is loaded on first use so that a quiet, successful run never pays for it.
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
let createPino: ((level: Level, name: string) => Logger) | undefined;

/** Injected by the entry point so that pino is bundled, but only built when something is logged. */
export function setPinoFactory(factory: (level: Level, name: string) => Logger): void {
  createPino = factory;
}

export function createLog(name: string, level: Level = levelFromEnv()): Log {
  const emit = (lvl: Exclude<Level, 'silent' | 'fatal'>): LogFn => (msg, fields) => {
    if (RANK[lvl] < RANK[level]) return;
    if (!pinoLogger) {
      if (!createPino) {
        process.stderr.write(`[${lvl}] ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
        return;
      }
      pinoLogger = createPino(level, name);
    }
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
