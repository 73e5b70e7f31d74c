// Logs go to stderr only: stdout carries exactly one JSON value for the engine.
//
// Two formats. The CLI (what Podman runs as `netavark`) prints netavark's
// env_logger lines, `[INFO  netavark::firewall] Using nftables firewall driver`,
// because Podman copies them to the user and people and scripts match them.
// skiff-dns keeps pino's JSON lines (its log file is read by tools, not people).
// SKIFF_LOG_FORMAT=json|netavark overrides the choice of the entry point.
import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
import type { Logger } from 'pino';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const RANK: Record<Level, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

export type LogFormat = 'json' | 'netavark';

/** The module a logger speaks for, in netavark's terms (its Rust module path). */
const TARGETS: Record<string, string> = {
  skiff: 'netavark::commands::setup',
  teardown: 'netavark::commands::teardown',
  firewall: 'netavark::firewall',
  nftables: 'netavark::firewall::nft',
  bridge: 'netavark::network::bridge',
  vlan: 'netavark::network::vlan',
  plugin: 'netavark::network::plugin',
  aardvark: 'netavark::dns::aardvark',
  sysctl: 'netavark::network::sysctl',
};

/** The netavark log target of a logger name: `netavark::…` names pass through. */
export function targetOf(name: string): string {
  if (name.startsWith('netavark')) return name;
  return TARGETS[name] ?? `netavark::${name.replaceAll('-', '_')}`;
}

/**
 * Reads the level from SKIFF_LOG, else RUST_LOG. RUST_LOG is env_logger's
 * syntax: a comma list of `level` or `target=level`; only a bare level or one
 * for `netavark` (podman passes `netavark=<level>`) applies to us. Default warn.
 */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): Level {
  for (const raw of [env.SKIFF_LOG, env.RUST_LOG]) {
    if (!raw) continue;
    for (const part of raw.split(',')) {
      const eq = part.indexOf('=');
      const target = eq < 0 ? '' : part.slice(0, eq).trim();
      if (target !== '' && target !== 'netavark' && !target.startsWith('netavark::') && target !== 'skiff') continue;
      const value = (eq < 0 ? part : part.slice(eq + 1)).trim().toLowerCase();
      if (value === 'off') return 'silent';
      if ((LEVELS as readonly string[]).includes(value)) return value as Level;
    }
  }
  return 'warn';
}

let defaultFormat: LogFormat = 'json';

/** Entry points pick their format once, before anything is logged. */
export function setLogFormat(format: LogFormat): void {
  defaultFormat = format;
}

function formatFromEnv(): LogFormat {
  const f = process.env.SKIFF_LOG_FORMAT;
  return f === 'json' || f === 'netavark' ? f : defaultFormat;
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
 * Forgets the pino logger, so that the next logged line creates one with the
 * level and name of that moment, as in a fresh process. skiffd keeps one CLI
 * instance for many requests and calls this (through the CLI's run()) before
 * each; in a fresh process it changes nothing.
 */
export function resetLogState(): void {
  pinoLogger = undefined;
}

/** levelFromEnv for the current environment; parsed again only when SKIFF_LOG or RUST_LOG change. */
let levelMemo: { skiff: string | undefined; rust: string | undefined; level: Level } | undefined;
function currentLevel(): Level {
  const skiff = process.env.SKIFF_LOG;
  const rust = process.env.RUST_LOG;
  if (levelMemo === undefined || levelMemo.skiff !== skiff || levelMemo.rust !== rust) levelMemo = { skiff, rust, level: levelFromEnv() };
  return levelMemo.level;
}

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

/** One env_logger line: `[LEVEL target] message`, the level padded to 5 as Rust's `{:<5}`. */
export function netavarkLine(level: Exclude<Level, 'silent' | 'fatal'>, target: string, msg: string, fields?: Record<string, unknown>): string {
  const extra = fields && Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
  return `[${level.toUpperCase().padEnd(5)} ${target}] ${msg}${extra}\n`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return String(v);
  }
}

/**
 * A logger for `name`. Without `fixed`, its level follows SKIFF_LOG/RUST_LOG
 * as they are when a line is logged: module-level loggers (`const log =
 * createLog(…)`) are created once, but skiffd runs many requests, each with
 * its caller's environment, through the same modules.
 */
export function createLog(name: string, fixed?: Level): Log {
  const target = targetOf(name);
  const level = (): Level => fixed ?? currentLevel();
  const emit = (lvl: Exclude<Level, 'silent' | 'fatal'>): LogFn => (msg, fields) => {
    if (RANK[lvl] < RANK[level()]) return;
    if (formatFromEnv() === 'netavark') {
      try {
        writeSync(2, netavarkLine(lvl, target, msg, fields));
      } catch {
        // stderr closed: nothing sensible to do with a log line
      }
      return;
    }
    pinoLogger ??= loadPino(level(), name);
    if (fields) pinoLogger[lvl](fields, msg);
    else pinoLogger[lvl](msg);
  };
  return {
    get level() {
      return level();
    },
    enabled: (l) => RANK[l] >= RANK[level()],
    trace: emit('trace'),
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
  };
}
