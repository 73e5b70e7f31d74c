// skiff-dns: the aardvark-dns drop-in (also started as `aardvark-dns`). This
// entry stays small: it imports only dns/, schemas/ and src/lib/, never the
// rest of the CLI, so every container start pays little for it.
import { isMainThread } from 'node:worker_threads';
import { createLog } from '../src/lib/log.js';
import { parseArgs, USAGE, UsageError, type Args } from './args.js';
import { closeInheritedFds } from './fds.js';
import { CHILD_ENV, startServer } from './spawn-server.js';
import { runDaemon } from './daemon.js';
import { runZygote } from './zygote.js';
import { ZYGOTE_ENV } from './zygote-protocol.js';
import './reader-thread.js';

export { VERSION } from '../src/lib/version.js';
import { BUILD_TIME, COMMIT, VERSION } from '../src/lib/version.js';
async function startDetached(argv: readonly string[]): Promise<number> {
  // nothing we inherited may reach the daemon: it would hold a caller's pipe or lock for its whole life
  closeInheritedFds();
  const r = await startServer({ execArgv: process.execArgv, script: process.argv[1] ?? '', argv, env: process.env });
  if (r.ok) return 0;
  process.stderr.write(r.message);
  return 1;
}

async function main(argv: readonly string[]): Promise<number> {
  if (process.env[ZYGOTE_ENV] === '1') {
    await runZygote();
    return -1; // the server it became ends itself through process.exit
  }
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

// the same bundle is the server's reader thread (dns/reader-thread.ts starts itself there)
if (isMainThread) main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`skiff-dns: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
