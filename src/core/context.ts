// Everything a command needs from global flags and the environment, parsed once.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import { parseFirewallDriverName, type FirewallDriverName } from '../../firewall/select.js';

export interface Context {
  /** --config: state dir (required for setup/teardown/update) */
  configDir: string | undefined;
  rootless: boolean;
  firewallDriver: FirewallDriverName;
  /** --aardvark-binary: the DNS server to start (skiff-dns or aardvark-dns) */
  dnsBinary: string;
  pluginDirs: string[];
  /** NETAVARK_DNS_PORT, 53 unless set */
  dnsPort: number;
  log: Log;
}

export interface GlobalFlags {
  config?: string;
  rootless?: string | boolean;
  firewallDriver?: string;
  aardvarkBinary?: string;
  pluginDirectory?: string[];
}

/**
 * Skiff's own DNS server: bin/aardvark-dns (so that `ps` shows the server as
 * `…aardvark-dns --config DIR -p PORT run`, as for netavark), else the
 * skiff-dns bundle beside this one (dist/), else the reference's path.
 */
export function defaultDnsBinary(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    // the bundle runs from dist/lib/; the repo's bin/ is two levels up
    join(here, '..', '..', 'bin', 'aardvark-dns'),
    join(here, '..', 'skiff-dns.cjs'),
    join(here, '..', 'bin', 'skiff-dns'),
    join(here, '..', '..', 'bin', 'skiff-dns'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return '/usr/libexec/podman/aardvark-dns';
}

export function parseBool(value: string | boolean | undefined, flag: string): boolean {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`${flag}: invalid value ${JSON.stringify(value)}, expected true or false`);
}

export function parseDnsPort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 53;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError(`Invalid NETAVARK_DNS_PORT ${JSON.stringify(raw)}: expected a port number from 1 to 65535`);
  }
  return Number(raw);
}

export function buildContext(flags: GlobalFlags, env: NodeJS.ProcessEnv, log: Log): Context {
  return {
    configDir: flags.config,
    rootless: parseBool(flags.rootless, '--rootless'),
    firewallDriver: parseFirewallDriverName(flags.firewallDriver ?? env.NETAVARK_FW ?? env.SKIFF_FW),
    dnsBinary: flags.aardvarkBinary ?? defaultDnsBinary(),
    pluginDirs: flags.pluginDirectory ?? [],
    dnsPort: parseDnsPort(env.NETAVARK_DNS_PORT),
    log,
  };
}

export function requireConfigDir(ctx: Context, command: string): string {
  if (!ctx.configDir) throw new ConfigError(`--config not specified but required for skiff ${command}`);
  return ctx.configDir;
}
