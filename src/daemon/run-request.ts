// Runs one CLI request inside this process as if it were a fresh `skiff`
// process of the caller: the caller's stdin/stdout/stderr fds on 0/1/2, its
// environment, argv, working directory and umask. Requests are serialized by
// the caller of this module, since all of that is process-wide state.
import { errorMessage } from '../lib/errors.js';
import type { CliBundle } from './cli-bundle.js';
import { closeFd, dup2, dupCloexec } from './libc.js';
import type { RunRequest } from './protocol.js';

export interface Stdio {
  /** the daemon's own fds 0/1/2 (its log), kept to restore after each request */
  saved: [number, number, number];
}

export function saveStdio(): Stdio {
  return { saved: [dupCloexec(0), dupCloexec(1), dupCloexec(2)] };
}

/** Thrown before anything ran: the client may run the command in-process instead. */
export class NotStarted extends Error {}

/**
 * Runs `req` with the caller's `fds` (stdin, stdout, stderr; closed here).
 * `started` is called once the request is about to run. Resolves with the exit
 * code; never rejects after `started`.
 */
export async function runRequest(cli: CliBundle, stdio: Stdio, req: RunRequest, fds: number[], started: () => void): Promise<number> {
  const home = process.cwd();
  const env = knownEnv();
  const argv = process.argv;
  try {
    process.chdir(req.cwd);
  } catch (e) {
    fds.forEach(closeFd);
    throw new NotStarted(`cannot enter ${req.cwd}: ${errorMessage(e)}`);
  }
  let instance;
  try {
    instance = cli.instance();
  } catch (e) {
    process.chdir(home);
    fds.forEach(closeFd);
    throw new NotStarted(`cannot load the CLI: ${errorMessage(e)}`);
  }
  for (let i = 0; i < 3; i++) dup2(fds[i] as number, i);
  fds.forEach(closeFd);
  replaceEnv(req.env);
  process.argv = [process.execPath, cli.launcher, ...req.args];
  const umask = process.umask(req.umask);
  try {
    started();
    return await instance.run(req.args);
  } catch (e) {
    // run() never throws; if it does, answer like the CLI would, and take no chances with that instance's state
    cli.discard();
    process.stdout.write(JSON.stringify({ error: errorMessage(e) }) + '\n');
    return 1;
  } finally {
    for (let i = 0; i < 3; i++) dup2(stdio.saved[i] as number, i);
    process.umask(umask);
    process.argv = argv;
    replaceEnv(env);
    process.exitCode = undefined;
    process.chdir(home);
  }
}

// Every read and write of process.env is a call into C++ (~1 µs each): copying
// it and writing a caller's whole environment into it cost ~0.3 ms a request.
// A copy of what it holds is kept instead, and only the differences are written
// (consecutive callers' environments are nearly the same). Nothing else in the
// daemon or the CLI writes process.env while a request runs.
let known: Record<string, string> | undefined;

function knownEnv(): Record<string, string> {
  if (!known) {
    known = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) known[k] = v;
  }
  return known;
}

/** Replaces the contents of process.env in place (it stays the real environment object). */
function replaceEnv(next: Record<string, string | undefined>): void {
  const cur = knownEnv();
  const now: Record<string, string> = {};
  for (const k of Object.keys(cur)) if (!(k in next)) delete process.env[k];
  for (const k of Object.keys(next)) {
    const v = next[k];
    if (v === undefined) continue;
    if (cur[k] !== v) process.env[k] = v;
    now[k] = v;
  }
  known = now;
}
