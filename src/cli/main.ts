// The `skiff` CLI (netavark-compatible). The only place that decides exit
// codes and how errors are printed: one `{"error": "..."}` line on stdout.
import { Command, CommanderError, Option } from 'commander';
import { errorDetails, errorMessage, SkiffError } from '../lib/errors.js';
import { createLog, resetLogState, setLogFormat } from '../lib/log.js';
import { buildContext, requireConfigDir, type Context, type GlobalFlags } from '../core/context.js';
import { processIo, type Io } from './io.js';
import { BUILD_TIME, COMMIT, VERSION } from '../lib/version.js';
import { registerRootless } from './commands/rootless.js';
import { registerDaemon } from './commands/daemon.js';
import { registerDhcpProxy, scopeDhcpProxyArgs } from './commands/dhcp-proxy.js';
import { calledAsNetavark, NETAVARK_VERSION } from './identity.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function buildProgram(io: Io, env: NodeJS.ProcessEnv, asNetavark = false): Command {
  const program = new Command(asNetavark ? 'netavark' : 'skiff');
  const log = createLog('skiff');
  const context = (): Context => buildContext(program.opts<GlobalFlags>(), env, log);

  program
    .description('Container network stack: a drop-in for netavark (this CLI) and aardvark-dns (skiff-dns)')
    .version(asNetavark ? `netavark ${NETAVARK_VERSION} (skiff ${VERSION})` : `skiff ${VERSION}`, '-V, --version', 'print the version and exit')
    .option('-c, --config <dir>', 'state directory (required by setup, teardown and update), e.g. /run/containers/networks')
    .addOption(new Option('-r, --rootless <bool>', 'rootless mode: no firewall state files, no sysctl.d file').default('false'))
    .option('-f, --file <path>', 'read the JSON input from this file instead of stdin ("-" = stdin)')
    .addOption(new Option('--firewall-driver <name>', 'firewall driver: nftables (default) or none').env('NETAVARK_FW'))
    .option('-a, --aardvark-binary <path>', 'DNS server to start for DNS-enabled networks (default: skiff-dns)')
    .option('--plugin-directory <dir>', 'directory searched for external network drivers (repeatable)', collect)
    .addHelpText(
      'after',
      `
Environment:
  NETAVARK_FW        firewall driver when --firewall-driver is not given
  NETAVARK_DNS_PORT  port the DNS server listens on (default 53; gateway:53 is DNATed to it)
  RUST_LOG, SKIFF_LOG  log level on stderr: trace, debug, info, warn (default), error, off

Output: one JSON value on stdout. On failure: {"error":"<message>"} and exit code 1;
usage errors exit 2. Logs go to stderr only.`,
    )
    .showHelpAfterError(false)
    // --help and --version go to stdout, as clap (netavark) prints them; usage errors to stderr
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();

  program
    .command('setup')
    .description('attach the container namespace to the networks in the JSON input; prints the StatusBlock map')
    .argument('<netns>', 'path of the container network namespace, e.g. /run/netns/netns-…')
    .option('--dry-run', 'print the plan (links, addresses, routes, sysctls, DNS entries, nftables batches) and change nothing')
    .action(async (netns: string, o: { dryRun?: boolean }) => {
      const ctx = context();
      const input = io.readInput(program.opts<{ file?: string }>().file);
      if (o.dryRun) {
        const { dryRunSetup } = await import('../core/dry-run.js');
        io.stdout(JSON.stringify(await dryRunSetup(ctx, input), null, 2) + '\n');
        return;
      }
      // a plain user: run inside Skiff's rootless netns (loaded only then)
      if (ctx.rootless && (await enterRootless(program, 'setup', netns, input))) return;
      const { setup } = await import('../core/setup.js');
      const result = await setup(ctx, netns, input);
      io.stdout(JSON.stringify(result) + '\n');
    });

  program
    .command('teardown')
    .description('detach the container namespace from the networks in the JSON input (idempotent)')
    .argument('<netns>', 'path of the container network namespace')
    .action(async (netns: string) => {
      const ctx = context();
      const input = io.readInput(program.opts<{ file?: string }>().file);
      if (ctx.rootless && (await enterRootless(program, 'teardown', netns, input))) return;
      const { teardown } = await import('../core/teardown.js');
      await teardown(ctx, netns, input);
    });

  program
    .command('update')
    .description("update a network's DNS servers in the running DNS server")
    .argument('<network>', 'network name')
    .requiredOption('--network-dns-servers <servers...>', 'new DNS servers (comma-separated or repeated; "" clears them)')
    .action(async (network: string, o: { networkDnsServers: string[] }) => {
      const { update } = await import('../core/update.js');
      await update(context(), network, o.networkDnsServers);
    });

  program
    .command('version')
    .description('print version information as JSON')
    .action(() => {
      // `version` is the netavark interface version (podman info, scripts); Skiff's own beside it
      const info = {
        version: NETAVARK_VERSION,
        skiff_version: VERSION,
        commit: COMMIT,
        build_time: BUILD_TIME,
        target: `${process.arch}-${process.platform}`,
        default_fw_driver: 'nftables',
      };
      io.stdout(JSON.stringify(info, null, 2) + '\n');
    });

  program
    .command('create')
    .description('complete and validate a new network definition (JSON on stdin); prints the network')
    .action(async () => {
      const { runCreate } = await import('./commands/create.js');
      const flags = program.opts<GlobalFlags & { file?: string }>();
      const out = await runCreate(io.readInput(flags.file), { pluginDirs: flags.pluginDirectory ?? [] });
      io.stdout(JSON.stringify(out) + '\n');
    });

  program
    .command('firewall-reload')
    .description('re-apply all saved firewall state once (e.g. after nft flush ruleset)')
    .action(async () => {
      const { firewallReload } = await import('../../firewall/reload.js');
      await firewallReload(program.opts<GlobalFlags>().config ?? '/run/containers/networks');
    });

  program
    .command('firewalld-reload')
    .description('re-apply all saved firewall state now and after every firewall-cmd --reload (runs until stopped)')
    .action(async () => {
      const { firewalldReload } = await import('../../firewall/reload.js');
      await firewalldReload(program.opts<GlobalFlags>().config ?? '/run/containers/networks', env);
    });

  registerDhcpProxy(program, env);
  registerRootless(program, io);
  registerDaemon(program, io, env);
  return program;

  /**
   * `--rootless true` as a plain user (no CAP_NET_ADMIN here): re-runs the
   * command inside the shared rootless netns and prints its output. False
   * when we may configure networks where we are (root, or inside Podman's
   * rootless netns), i.e. nothing to enter.
   */
  async function enterRootless(prog: Command, command: 'setup' | 'teardown', netns: string, input: string): Promise<boolean> {
    const { needsEntering } = await import('../rootless/netns/caps.js');
    if (!needsEntering(env)) return false;
    const enter = await import('../rootless/netns/enter.js');
    const f = prog.opts<GlobalFlags>();
    const configDir = requireConfigDir(context(), command);
    const globals = ['--config', configDir, '--rootless', 'true'];
    if (f.firewallDriver !== undefined) globals.push('--firewall-driver', f.firewallDriver);
    if (f.aardvarkBinary !== undefined) globals.push('--aardvark-binary', f.aardvarkBinary);
    for (const d of f.pluginDirectory ?? []) globals.push('--plugin-directory', d);
    const c = { globals, command, netns };
    io.stdout(command === 'setup' ? await enter.enterSetup(configDir, c, input) : await enter.enterTeardown(configDir, c, input));
    return true;
  }
}

// skiffd runs many requests through one instance of this bundle, always with
// processIo and process.env (whose contents it swaps per request): building
// the program (every command and option object) cost ~0.3–0.5 ms a request.
// Commander (13+) restores a command's option values before each parse, so a
// kept program parses each argv as a new one would (isolation.test.ts).
const programs = new Map<string, Command>();

function programFor(io: Io, env: NodeJS.ProcessEnv, asNetavark: boolean): Command {
  if (io !== processIo || env !== process.env) return buildProgram(io, env, asNetavark);
  const key = asNetavark ? 'netavark' : 'skiff';
  let program = programs.get(key);
  if (!program) programs.set(key, (program = buildProgram(io, env, asNetavark)));
  return program;
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function run(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // skiffd calls run() many times on one instance of this bundle: the little
  // module state that depends on the caller is reset here (log levels are read
  // per line, see lib/log.ts; schemas, bindings and code stay warm)
  resetLogState();
  // `skiff cni`: the CNI plugin (CNI_* environment, config on stdin), so skiff-client and skiffd serve
  // CNI calls too (thick plugin); bin/skiff-cni is the same code without them
  if (argv[0] === 'cni' && argv.length === 1) {
    const { runCni } = await import('../cni/plugin.js');
    let stdin = '';
    if (env.CNI_COMMAND !== 'VERSION') {
      try {
        stdin = io.readInput(undefined);
      } catch {
        stdin = '';
      }
    }
    return runCni(env, stdin, { stdout: (t) => io.stdout(t) });
  }
  // stderr carries netavark's log lines: Podman shows them to the user as netavark's
  setLogFormat('netavark');
  const program = programFor(io, env, calledAsNetavark(process.argv[1], env));
  try {
    await program.parseAsync(scopeDhcpProxyArgs(argv), { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; usage errors exit 2 as clap does
      if (e.exitCode === 0) return 0;
      io.stdout(JSON.stringify({ error: e.message.replace(/^error: /, '') }) + '\n');
      return 2;
    }
    // Skiff's extra context (which field, which network) stays out of netavark's message
    const log = createLog('skiff');
    for (const d of errorDetails(e)) log.debug(`error context: ${d}`);
    io.stdout(JSON.stringify({ error: errorMessage(e) }) + '\n');
    return e instanceof SkiffError ? e.exitCode : 1;
  }
}

if (process.env.SKIFF_NO_MAIN !== '1') {
  // podman lets SIGTERM reach us; teardown must still finish (netavark ignores it too)
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
