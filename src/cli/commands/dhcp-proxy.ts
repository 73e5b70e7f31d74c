// `skiff dhcp-proxy` (netavark's `dhcp-proxy`): flags → the proxy daemon in
// src/dhcp/server.ts, imported only when this command runs.
import type { Command } from 'commander';
import { ConfigError } from '../../lib/errors.js';
import { createLog } from '../../lib/log.js';

function seconds(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new ConfigError(`${flag}: invalid value ${JSON.stringify(value)}, expected whole seconds`);
    return Number(value);
  };
}

export function registerDhcpProxy(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  program
    .command('dhcp-proxy')
    .description('DHCP proxy daemon for macvlan and unmanaged bridge networks with ipam driver dhcp (gRPC on a Unix socket)')
    .option('-d, --dir <dir>', 'directory of the lease cache nv-proxy.lease and the socket (default /run/podman)')
    .option('-u, --uds <path>', 'socket path (default <dir>/nv-proxy.sock)')
    .option('-t, --timeout <secs>', 'how long to wait for a DHCP lease (default 8)', seconds('--timeout'))
    .option('-a, --activity-timeout <secs>', 'exit after this long without a request while no lease is held; 0 = never (default 300)', seconds('--activity-timeout'))
    .action(async (o: { dir?: string; uds?: string; timeout?: number; activityTimeout?: number }) => {
      const { runDhcpProxy, DEFAULT_DORA_TIMEOUT, DEFAULT_ACTIVITY_TIMEOUT } = await import('../../dhcp/server.js');
      const code = await runDhcpProxy({
        dir: o.dir,
        uds: o.uds,
        timeoutSec: o.timeout ?? DEFAULT_DORA_TIMEOUT,
        activityTimeoutSec: o.activityTimeout ?? DEFAULT_ACTIVITY_TIMEOUT,
        env,
        // a daemon: info by default, so the journal shows leases coming and going
        log: createLog('skiff-dhcp-proxy', env.SKIFF_LOG || env.RUST_LOG ? undefined : 'info'),
      });
      process.exit(code);
    });
}

/**
 * `-a` is also the global `--aardvark-binary`, and Commander lets global flags
 * win anywhere on the line. After `dhcp-proxy` it means --activity-timeout,
 * as in netavark (clap scopes flags to their subcommand) and its systemd unit.
 */
export function scopeDhcpProxyArgs(argv: readonly string[]): string[] {
  const i = argv.indexOf('dhcp-proxy');
  if (i < 0) return [...argv];
  const rest = argv.slice(i + 1).map((a) => (a === '-a' ? '--activity-timeout' : /^-a[^-]/.test(a) ? `--activity-timeout=${a.slice(2)}` : a));
  return [...argv.slice(0, i + 1), ...rest];
}
