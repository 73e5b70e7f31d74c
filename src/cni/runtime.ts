// What every verb gets: the parsed configuration and environment, the raw
// stdin (delegates get it unchanged), where state lives, and the log.
import type { Log } from '../lib/log.js';
import { parseFirewallDriverName, selectFirewallDriver } from '../../firewall/select.js';
import type { FirewallDriver } from '../../firewall/firewall.js';
import type { NetConf } from './config.js';
import type { CniEnv } from './env.js';
import type { DelegateCall } from './delegate.js';

export interface CniRuntime {
  conf: NetConf;
  env: CniEnv;
  stdin: string;
  stateDir: string;
  /** the process environment, passed on to delegated plugins */
  procEnv: NodeJS.ProcessEnv;
  log: Log;
}

/** The nftables driver unless SKIFF_FW / NETAVARK_FW say "none"; state shared with `skiff setup`. */
export function firewallOf(rt: CniRuntime): Promise<FirewallDriver> {
  const name = parseFirewallDriverName(rt.procEnv.SKIFF_FW ?? rt.procEnv.NETAVARK_FW);
  return selectFirewallDriver(name, { configDir: rt.stateDir, rootless: false });
}

/** A call of the configured IPAM plugin with this invocation's stdin and environment. */
export function ipamCallOf(rt: CniRuntime, command: DelegateCall['command'], overrides?: Record<string, string>): DelegateCall {
  return { type: rt.conf.ipamType!, command, stdin: rt.stdin, cniPath: rt.env.path, env: rt.procEnv, ...(overrides ? { overrides } : {}) };
}
