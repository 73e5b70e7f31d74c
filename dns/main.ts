// skiff-dns: the aardvark-dns drop-in (also started as `aardvark-dns`). This
// entry stays small: it imports only dns/, schemas/ and src/lib/, never the
// rest of the CLI, so every container start pays little for it.
import { openSync } from 'node:fs';
import { createLog } from '../src/lib/log.js';
import { spawnDetached } from '../src/lib/exec.js';
import { parseArgs, USAGE, UsageError, type Args } from './args.js';
import { closeInheritedFds } from './fds.js';
import { listenForReady, READY_ENV } from './readiness.js';
import { runDaemon } from './daemon.js';

export { VERSION } from '../src/lib/version.js';
import { BUILD_TIME, COMMIT, VERSION } from '../src/lib/version.js';
const CHILD_ENV = 'SKIFF_DNS_CHILD';
const START_TIMEOUT_MS = 30_000;

async function startDetached(argv: readonly string[]): Promise<number> {
  // nothing we inherited may reach the daemon: it would hold a caller's pipe or lock for its whole life
  closeInheritedFds();
  const ready = await listenForReady();
  const logFile = process.env.SKIFF_DNS_LOG_FILE;
  const logFd = logFile ? openSync(logFile, 'a') : 'ignore';
  const script = process.argv[1] ?? '';
  let pid: number;
  try {
    pid = await spawnDetached(process.execPath, [...process.execArgv, ...daemonV8Flags(process.execArgv), script, ...argv], {
      env: { ...process.env, [CHILD_ENV]: '1', [READY_ENV]: ready.name },
      stdio: ['ignore', logFd, logFd],
    });
  } catch (e) {
    process.stderr.write(`Error starting the daemon: ${(e as Error).message}\n`);
    return 1;
  }
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const outcome = await ready.wait(alive, START_TIMEOUT_MS);
  if (outcome.ok) return 0;
  process.stderr.write(`Error from child process\n${outcome.error}\n`);
  return 1;
}

/**
 * The server's live young objects are a few kB (one query at a time), but a
 * flood (pipelined TCP, fuzzing) made V8 grow the young generation to its
 * default maximum (2 x 16 MiB) and keep it: RSS stayed ~25 MB higher for good.
 * 1 MiB semi-spaces bound it; scavenges get more frequent but stay as cheap
 * (their cost follows the survivors, not the space). A flag given to node
 * explicitly wins.
 */
function daemonV8Flags(execArgv: readonly string[]): string[] {
  return execArgv.some((a) => a.startsWith('--max-semi-space-size')) ? [] : ['--max-semi-space-size=1'];
}

async function main(argv: readonly string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`error: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(JSON.stringify({ version: VERSION, commit: COMMIT, build_time: BUILD_TIME, target: `${process.arch}-${process.platform}` }, null, 2) + '\n');
    return 0;
  }
  if (process.env[CHILD_ENV] !== '1') return startDetached(argv);
  closeInheritedFds();
  delete process.env[CHILD_ENV];
  await runDaemon(args, createLog('skiff-dns'));
  return -1; // keep running: the daemon ends itself through process.exit
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`skiff-dns: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
