// A skiff-dns process started ahead of need by skiffd (src/daemon/dns-zygote.ts):
// Node is up and this bundle loaded, and it waits on its IPC channel for the
// `run` it is to become. The first DNS-enabled container then pays for binding
// sockets, not for a Node start-up (~0.1 s idle, ~0.5 s on a loaded 2-core host,
// which is what aardvark-dns' whole start costs netavark).
//
// Once told, it is exactly the server `run` would have started: same arguments,
// environment, working directory, umask, session (skiffd spawned it detached),
// and the command line `ps` shows (process.title; netavark's suite matches it),
// with its arguments joined by spaces rather than NULs. If skiffd goes away
// first, so does it.
import { parseArgs, UsageError } from './args.js';
import { closeInheritedFds } from './fds.js';
import { runDaemon } from './daemon.js';
import { reportReady, reportReadyVia } from './readiness.js';
import { createLog } from '../src/lib/log.js';
import { trimIdleMemory } from '../src/lib/idle-trim.js';
import { isGo, isWake, ZYGOTE_ENV, type ZygoteGo } from './zygote-protocol.js';
import { Backend } from './backend.js';
import { DnsServer } from './server.js';

export function runZygote(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write('skiff-dns: SKIFF_DNS_ZYGOTE is set but there is no IPC channel\n');
    process.exit(2);
  }
  // nothing we inherited may reach the server; the IPC channel is close-on-exec and stays
  closeInheritedFds();
  process.on('disconnect', () => process.exit(0));
  // skiffd may have gone while this process was loading, before anyone listened for 'disconnect'
  if (!process.connected) process.exit(0);
  return warmUp().then(() => new Promise((resolve) => {
    // it may wait for hours: what starting Node and the warm-up touched once need not stay mapped
    trimIdleMemory();
    let rehearsing = false;
    process.on('message', (m: unknown) => {
      // a ZygoteWake wants no answer: it has the start-up path run once more while skiffd makes the links,
      // so the `go` finds it warm (1.5 ms less to ready, measured); a `go` meanwhile does not wait for it
      if (isWake(m) && !rehearsing) {
        rehearsing = true;
        void warmUp().finally(() => (rehearsing = false));
      }
      if (!isGo(m)) return;
      process.removeAllListeners('message');
      process.removeAllListeners('disconnect');
      become(m).then(resolve, (e: unknown) => {
        void reportReady({ ok: false, error: (e as Error).message }).then(() => process.exit(1));
      });
    });
    send({ t: 'warm' });
  }));
}

/**
 * Runs the start-up path once, on a wildcard port-0 listener closed at once
 * (no packet is sent): V8 compiles functions on first call, and the first
 * sockets (dgram, net, the address dump) are slow. Measured through skiffd,
 * the hand-over took 20–58 ms without this and 11–20 ms with it. Any failure
 * here only leaves that cost in place.
 */
async function warmUp(): Promise<void> {
  const server = new DnsServer({ port: 0, searchDomain: 'dns.podman', noProxy: false, hostServers: [], log: createLog('skiff-dns', 'silent') });
  try {
    await server.apply(new Backend([{ network: 'warm-up', internal: false, bindIps: ['0.0.0.0'], dnsServers: [], containers: [] }]));
  } catch {
    // e.g. no IPv4 in this namespace
  } finally {
    server.close();
  }
}

async function become(go: ZygoteGo): Promise<void> {
  for (const k of Object.keys(process.env)) if (!(k in go.env)) delete process.env[k];
  Object.assign(process.env, go.env);
  delete process.env[ZYGOTE_ENV];
  process.chdir(go.cwd);
  process.umask(go.umask);
  process.title = go.title;
  // the outcome goes back over the channel skiffd is already listening on, which then closes
  reportReadyVia(
    (outcome) =>
      new Promise((resolve) => {
        if (!process.connected) return resolve();
        process.send?.({ t: 'ready', ...outcome }, () => {
          process.disconnect();
          resolve();
        });
      }),
  );
  let args;
  try {
    args = parseArgs(go.argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new Error(`error: ${e.message}`);
  }
  if (args.command !== 'run') throw new Error(`a warm skiff-dns only runs the server, not ${args.command}`);
  await runDaemon(args, createLog('skiff-dns'));
}
