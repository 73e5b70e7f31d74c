// Create, reuse and destroy the shared rootless netns. Callers hold
// <dir>/lock (lib/lock) around every function here: the engine starts
// containers in parallel, and two of them must not both create a namespace.
import { readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run, spawnDetached } from '../../lib/exec.js';
import { SkiffError, toError, throwCollected } from '../../lib/errors.js';
import { ErrorCode } from '../../lib/error-codes.js';
import { createLog } from '../../lib/log.js';
import { removeFile, writeFileAtomic } from '../../lib/state-files.js';
import { isOurs, readProcStat, stopHelper } from '../proc.js';
import { checkTun, findBinary, probe } from '../probe.js';
import { pastaArgs } from '../pasta.js';
import { startPasta, startSlirp } from '../runner.js';
import { slirpAddresses, slirpArgs } from '../slirp4netns.js';
import { readNetInfo } from '../netinfo.js';
import type { Backend, Features, RootlessOptions } from '../types.js';
import { holderArgv, inNetnsArgv, pauseArgv } from './argv.js';
import { pastaForwards, type PortSet } from './portset.js';
import { addFwds } from './slirp-ports.js';
import { readHostFwds, readInfo, resolvConf, writeHostFwds, writeInfo, type NetnsInfo, type NetnsPaths, type ProcRef } from './state.js';

const log = createLog('skiff-rootless-netns');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function nsLink(pid: number, ns: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

/** Starts a holder and waits until it sits in its own namespace `ns` (after unshare's exec of sleep). */
async function startHolder(argv: [string, string[]], ns: 'user' | 'net', what: string): Promise<ProcRef> {
  const before = nsLink(process.pid, ns);
  const pid = await spawnDetached(argv[0], argv[1]);
  for (let i = 0; i < 300; i++) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z') break;
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      /* not yet */
    }
    const link = nsLink(pid, ns);
    if (exe.endsWith('/sleep') && link !== undefined && link !== before) return { pid, starttime: st.starttime };
    await sleep(10);
  }
  await stopHelper(pid, readProcStat(pid)?.starttime ?? '', 500).catch(() => undefined);
  throw new SkiffError(`could not create the ${what} (${argv[0]} ${argv[1].join(' ')} did not get its own ${ns} namespace)`, {
    code: ErrorCode.SKIFF_ERR_ROOTLESS_NETNS,
    hint: 'Check that unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces)',
  });
}

const alive = (p: ProcRef | null | undefined): p is ProcRef => !!p && isOurs(p.pid, p.starttime);

export interface EnsureResult {
  info: NetnsInfo;
  created: boolean;
}

/**
 * Returns the running rootless netns, creating what is missing: the pause
 * user namespace, then the netns holder and its pasta (forwarding `ports`).
 * When only pasta died it is restarted for the same netns (with the ports it
 * had); a netns whose holder died is torn down and made again. Throws a
 * SkiffError (code SKIFF_ERR_ROOTLESS_*) when a piece cannot be started; the
 * pieces this call started are stopped again.
 */
export async function ensureNetns(p: NetnsPaths, ports: PortSet, backend: Backend = 'pasta'): Promise<EnsureResult> {
  let info = readInfo(p);
  if (info && alive(info.pause) && alive(info.holder) && alive(info.conn)) return { info, created: false };
  // a dead helper is restarted with the backend it had; a new netns gets the requested one
  const want = info && alive(info.pause) && alive(info.holder) ? info.backend : backend;
  const binary = findBinary(want);
  checkTun();
  const features = await probe(binary);
  if (info && alive(info.pause) && alive(info.holder)) {
    // only pasta died: restart it for the same netns, so attached containers keep their veths
    log.info('the helper of the rootless netns is gone; restarting it', { backend: info.backend, conn: info.conn?.pid });
    const kept = info;
    const done = await connect(p, { ...kept, conn: null }, binary, features)
      .then(async (d) => {
        if (d.backend === 'slirp4netns') await republish(p);
        return d;
      })
      .catch(async (e: unknown) => {
        await stopNetns(p, readInfo(p) ?? kept).catch(() => undefined);
        throw e;
      });
    return { info: done, created: false };
  }
  if (info && (info.holder || info.conn)) {
    log.info('rootless netns is broken (holder gone); recreating it', { holder: info.holder?.pid, conn: info.conn?.pid });
    info = await stopNetns(p, info);
  }

  const pause = info && alive(info.pause) ? info.pause : await startHolder(pauseArgv(), 'user', 'rootless user namespace');
  const base: NetnsInfo = { version: 1, backend, pause, holder: null, conn: null, ports, dns: [], addresses: [] };
  writeInfo(p, base);
  const holder = await startHolder(holderArgv(pause.pid), 'net', 'rootless network namespace');
  const withHolder = { ...base, holder };
  writeInfo(p, withHolder);
  try {
    const [cmd, args] = inNetnsArgv(pause.pid, holder.pid, ['ip', 'link', 'set', 'lo', 'up']);
    const lo = await run(cmd, args, { timeoutMs: 5000 });
    if (lo.code !== 0) throw new SkiffError(`cannot bring up lo in the rootless netns: ${lo.stderr.trim()}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_NETNS });
    return { info: await connect(p, withHolder, binary, features), created: true };
  } catch (e) {
    await stopNetns(p, readInfo(p) ?? withHolder).catch((u: unknown) => log.warn('undo failed', { error: String(u) }));
    throw e;
  }
}

/**
 * Starts pasta (forwarding `info.ports`) or slirp4netns for the holder's
 * netns; records it, N's addresses and resolv.conf. slirp4netns gets its
 * ports later, live, through its API (enter.ts).
 */
async function connect(p: NetnsPaths, info: NetnsInfo, binary: string, features: Features): Promise<NetnsInfo> {
  if (!info.holder) throw new SkiffError('rootless netns has no holder process', { code: ErrorCode.SKIFF_ERR_ROOTLESS_NETNS });
  const o: RootlessOptions = {
    backend: info.backend,
    netns: `/proc/${info.holder.pid}/ns/net`,
    userns: `/proc/${info.pause.pid}/ns/user`,
    ipv6: true,
    hostLoopback: false,
    ports: info.backend === 'pasta' ? pastaForwards(info.ports) : [],
    extraArgs: [],
    debug: false,
  };
  let conn: ProcRef;
  let dns: string;
  if (info.backend === 'pasta') {
    const plan = pastaArgs(o, features, p.connPid, p.log);
    removeFile(p.connPid);
    log.debug('starting pasta for the rootless netns', { args: plan.args });
    conn = await startPasta(binary, plan.args, p.connPid, o.netns);
    dns = plan.dnsForward;
  } else {
    // the slirp4netns sandbox needs setegid(0), which a plain user joining --userns-path cannot do
    const plan = slirpArgs(o, features, p.apiSocket, false);
    removeFile(p.apiSocket);
    log.debug('starting slirp4netns for the rootless netns', { args: plan.args });
    conn = await startSlirp(binary, plan.args, p.log, o.netns);
    writeFileAtomic(p.connPid, `${conn.pid}\n`, 0o600);
    dns = slirpAddresses().dns;
  }
  const withConn = { ...info, conn, dns: [dns] };
  writeInfo(p, withConn);
  const net = await readNetInfo(o.netns, o.userns);
  const done = { ...withConn, addresses: net.addresses };
  writeFileAtomic(p.resolv, resolvConf(done.dns), 0o644);
  writeInfo(p, done);
  return done;
}

/** A restarted slirp4netns has no forwards: add those of the attached containers again (new ids). */
async function republish(p: NetnsPaths): Promise<void> {
  const all = readHostFwds(p);
  for (const [key, fwds] of Object.entries(all)) all[key] = await addFwds(p.apiSocket, fwds);
  writeHostFwds(p, all);
}

/**
 * Stops pasta and the netns holder (the namespace goes with its last
 * process); keeps the pause user namespace. Returns the info left behind.
 * Teardown-style: goes on past errors and throws them together at the end.
 */
export async function stopNetns(p: NetnsPaths, info: NetnsInfo): Promise<NetnsInfo> {
  const errors: Error[] = [];
  await stopDnsIn(p, info).catch((e: unknown) => errors.push(toError(e)));
  for (const ref of [info.conn, info.holder]) {
    if (ref) await stopHelper(ref.pid, ref.starttime).catch((e: unknown) => errors.push(toError(e)));
  }
  const left: NetnsInfo = { ...info, holder: null, conn: null, dns: [], addresses: [] };
  if (errors.length === 0) {
    writeInfo(p, left);
    for (const f of [p.connPid, p.resolv, p.apiSocket, p.hostFwds]) removeFile(f);
  }
  throwCollected(errors);
  return left;
}

/**
 * Stops skiff-dns when it runs in the netns we are about to stop: the inner
 * `skiff teardown` stops it once no container is left, but after a forced
 * destroy or a failed teardown it would keep the namespace alive.
 */
async function stopDnsIn(p: NetnsPaths, info: NetnsInfo): Promise<void> {
  if (!info.holder) return;
  let pid: number;
  try {
    pid = Number(readFileSync(join(dirname(p.dir), 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync(`/proc/${info.holder.pid}/ns/net`)) return;
  } catch {
    return; // no pid file, or the process or the holder is gone
  }
  const st = readProcStat(pid);
  if (st) await stopHelper(pid, st.starttime);
}

/** Stops everything, the pause user namespace too, and removes info.json. */
export async function destroyAll(p: NetnsPaths): Promise<{ stopped: number[] }> {
  const info = readInfo(p);
  if (!info) return { stopped: [] };
  const stopped = [info.conn, info.holder, info.pause].filter(alive).map((r) => r.pid);
  const left = await stopNetns(p, info);
  if (await stopHelper(left.pause.pid, left.pause.starttime)) log.debug('stopped pause process', { pid: left.pause.pid });
  removeFile(p.info);
  return { stopped };
}

export interface NetnsStatus {
  dir: string;
  running: boolean;
  backend?: Backend;
  /** join these to run something in the rootless netns (e.g. to create a container netns owned by its user namespace) */
  userns?: string;
  netns?: string;
  pause_pid?: number;
  holder_pid?: number;
  conn_pid?: number;
  dns_servers?: string[];
  addresses?: string[];
  ports?: PortSet;
}

export function status(p: NetnsPaths): NetnsStatus {
  const info = readInfo(p);
  if (!info) return { dir: p.dir, running: false };
  const running = alive(info.pause) && alive(info.holder) && alive(info.conn);
  return {
    dir: p.dir,
    running,
    backend: info.backend,
    ...(alive(info.pause) ? { userns: `/proc/${info.pause.pid}/ns/user`, pause_pid: info.pause.pid } : {}),
    ...(alive(info.holder) ? { netns: `/proc/${info.holder.pid}/ns/net`, holder_pid: info.holder.pid } : {}),
    ...(alive(info.conn) ? { conn_pid: info.conn.pid } : {}),
    dns_servers: info.dns,
    addresses: info.addresses,
    ports: info.ports,
  };
}
