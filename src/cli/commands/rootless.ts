// `skiff rootless setup|teardown|ports`: flags → application → one JSON value
// on stdout. The implementation is imported lazily so that `skiff setup`
// never loads rootless code.
import { Option, type Command } from 'commander';
import { processIo, type Io } from '../io.js';
import type { RootlessFlags } from '../../rootless/options.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface Globals {
  config?: string;
  file?: string;
}

/** stdin, or `--file`; a terminal on stdin means "no input" (setup without ports). */
function input(io: Io, g: Globals): string {
  if (g.file === undefined && process.stdin.isTTY) return '';
  return io.readInput(g.file);
}

export function registerRootless(program: Command, io: Io = processIo): void {
  const rootless = program
    .command('rootless')
    .description('per-container rootless networking with pasta or slirp4netns (run as the unprivileged user)');

  rootless
    .command('setup')
    .description('start pasta/slirp4netns for NETNS; port_mappings JSON on stdin; prints interface, addresses, gateway, DNS')
    .argument('<netns>', 'container network namespace: a path (/proc/PID/ns/net) or a name under /run/netns')
    .addOption(new Option('--backend <name>', 'helper to run').choices(['pasta', 'slirp4netns']).default('pasta'))
    .option('--mtu <n>', 'MTU of the container interface (pasta: 65520, slirp4netns: 65520)')
    .option('--no-ipv6', 'IPv4 only')
    .option('--outbound-addr <ip>', 'source address for outbound traffic (once per IP family)', collect)
    .option('--dns-forward <ip>', 'pasta: container-side DNS address forwarded to the host resolver (default 169.254.1.1)')
    .option('--map-guest-addr <ip>', 'pasta: address that reaches the host (host.containers.internal; default 169.254.1.2 when supported)')
    .option('--host-loopback', "let the container reach the host's loopback through the gateway address")
    .option('--cidr <cidr>', 'slirp4netns: virtual network (default 10.0.2.0/24)')
    .option('--userns <path>', 'user namespace owning NETNS (default: /proc/PID/ns/user for /proc/PID/ns/net)')
    .option('--interface <name>', 'interface name in the container (pasta: the host\'s, slirp4netns: tap0)')
    .option('--helper-arg <arg>', 'extra argument passed to the helper as is (repeatable)', collect)
    .option('--debug', 'let the helper log verbosely instead of --quiet')
    .action(async (netns: string, flags: RootlessFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const { rootlessSetup } = await import('../../rootless/app.js');
      const result = await rootlessSetup(netns, flags, input(io, g), { config: g.config });
      io.stdout(JSON.stringify(result) + '\n');
    });

  rootless
    .command('teardown')
    .description('stop the helper that setup started for NETNS (idempotent)')
    .argument('<netns>', 'container network namespace, as given to setup')
    .action(async (netns: string, _flags: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const { rootlessTeardown } = await import('../../rootless/app.js');
      io.stdout(JSON.stringify(await rootlessTeardown(netns, { config: g.config })) + '\n');
    });

  // The shared rootless netns for rootless bridge networks (`skiff setup --rootless true` enters it).
  const netns = rootless.command('netns').description('the shared rootless network namespace used by rootless bridge networks');
  netns
    .command('ensure')
    .description('create the rootless netns (user namespace, netns, pasta) or check the running one; prints its status')
    .option('--ports <spec>', 'host ports pasta forwards into it, kept for later re-creations: e.g. 8080,9000-9009 or tcp:8080,udp:5353')
    .addOption(new Option('--backend <name>', 'helper connecting it to the host (kept for later re-creations; default pasta)').choices(['pasta', 'slirp4netns']))
    .action(async (flags: { ports?: string; backend?: 'pasta' | 'slirp4netns' }, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const { netnsEnsure } = await import('../../rootless/netns/app.js');
      io.stdout(JSON.stringify(await netnsEnsure(flags, { config: g.config })) + '\n');
    });
  netns
    .command('status')
    .description('print the rootless netns state: pids, namespace paths to join, ports, ref-count')
    .action(async (_flags: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const { netnsStatus } = await import('../../rootless/netns/app.js');
      io.stdout(JSON.stringify(netnsStatus({ config: g.config })) + '\n');
    });
  netns
    .command('destroy')
    .description('stop pasta, the rootless netns and its user namespace holder')
    .option('--force', 'even while container networks are attached')
    .action(async (flags: { force?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<Globals>();
      const { netnsDestroy } = await import('../../rootless/netns/app.js');
      io.stdout(JSON.stringify(await netnsDestroy(flags.force === true, { config: g.config })) + '\n');
    });

  const ports = rootless.command('ports').description('change published ports of a running container (slirp4netns only)');
  for (const action of ['add', 'remove'] as const) {
    ports
      .command(action)
      .description(`${action === 'add' ? 'publish' : 'withdraw'} the port_mappings on stdin`)
      .argument('<netns>', 'container network namespace, as given to setup')
      .action(async (netns: string, _flags: unknown, cmd: Command) => {
        const g = cmd.optsWithGlobals<Globals>();
        const { rootlessPorts } = await import('../../rootless/app.js');
        io.stdout(JSON.stringify(await rootlessPorts(action, netns, input(io, g), { config: g.config })) + '\n');
      });
  }
}
