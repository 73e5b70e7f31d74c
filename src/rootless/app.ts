// `skiff rootless setup|teardown|ports`: the application API (no CLI). Reads
// like the contract: validate everything, probe the helper, start it, publish
// ports, read the result back; on failure undo in reverse.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { createLog } from '../lib/log.js';
import { ConfigError, SkiffError, toError, throwCollected, wrap } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { removeFile } from '../lib/state-files.js';
import type { PortMapping } from '../../schemas/port-mapping.js';
import { parsePortInput, parseRootlessOptions, netnsPath, type RootlessFlags } from './options.js';
import { pastaArgs } from './pasta.js';
import { slirpAddresses, slirpArgs } from './slirp4netns.js';
import { checkTun, findBinary, probe } from './probe.js';
import { slirpHostFwds, sameHostSide, toForwards, toMappings, type HostFwd } from './ports.js';
import { addHostFwd, call, decodeAdd, decodeList, decodeRemove, listHostFwd, removeHostFwd, type HostFwdEntry } from './slirp-api.js';
import { readNetInfo } from './netinfo.js';
import { startPasta, startSlirp, type Started } from './runner.js';
import { isOurs, stopHelper } from './proc.js';
import { readRecord, removeState, statePaths, withNetnsLock, writeRecord, stateDir, type StatePaths, type StateRecord } from './state.js';
import type { RootlessOptions, RootlessResult } from './types.js';

const log = createLog('skiff-rootless');

export interface AppEnv {
  /** `--config` (global flag); else $XDG_RUNTIME_DIR/skiff. */
  config?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A netns path /proc/PID/ns/net belongs to the user namespace of PID. When
 * that is not our own, the helper has to join it (setns needs CAP_SYS_ADMIN
 * in the namespace's owner, which the owning user has only from inside).
 */
export function deriveUserns(netns: string, readlink: (p: string) => string = readlinkSync): string | undefined {
  const m = /^\/proc\/(\d+)(?:\/task\/\d+)?\/ns\/net$/.exec(netns);
  if (!m) return undefined;
  const candidate = `/proc/${m[1]}/ns/user`;
  try {
    return readlink(candidate) === readlink('/proc/self/ns/user') ? undefined : candidate;
  } catch {
    return undefined;
  }
}

function checkNetns(path: string): void {
  try {
    statSync(path);
  } catch (e) {
    throw new ConfigError(`NETNS ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such network namespace' : (e as Error).message}`);
  }
}

async function slirpAdd(socket: string, fwds: readonly HostFwd[]): Promise<number[]> {
  const ids: number[] = [];
  for (const f of fwds) {
    try {
      ids.push(decodeAdd(await call(socket, addHostFwd(f))));
    } catch (e) {
      // leave slirp4netns as we found it: a half-published set of ports is worse than none
      for (const id of ids.reverse()) await call(socket, removeHostFwd(id)).catch(() => undefined);
      throw wrap(`cannot publish ${f.proto} ${f.host_addr}:${f.host_port} (container port ${f.guest_port})`, e, {
        hint: `The host port may be in use, or below net.ipv4.ip_unprivileged_port_start (${unprivilegedPortStart()}), which an unprivileged user cannot bind`,
      });
    }
  }
  return ids;
}

function unprivilegedPortStart(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
  } catch {
    return '1024';
  }
}

const entryToMapping = (e: HostFwdEntry): PortMapping => ({
  host_ip: e.host_addr === '0.0.0.0' ? '' : e.host_addr,
  host_port: e.host_port,
  container_port: e.guest_port,
  range: 1,
  protocol: e.proto,
});

async function start(o: RootlessOptions, p: StatePaths, binary: string): Promise<{ started: Started; dns: string; undo: () => Promise<void> }> {
  const features = await probe(binary);
  log.debug('probed helper', { binary, version: features.version });
  if (o.backend === 'pasta') {
    const plan = pastaArgs(o, features, p.pidFile, p.log);
    removeFile(p.pidFile);
    log.debug('starting pasta', { args: plan.args });
    const started = await startPasta(binary, plan.args, p.pidFile, o.netns);
    return { started, dns: plan.dnsForward, undo: async () => void (await stopHelper(started.pid, started.starttime)) };
  }
  // slirp4netns' sandbox does setegid(0): only possible when we are root in our
  // user namespace (as rootless podman is), not for a plain user joining --userns-path.
  const plan = slirpArgs(o, features, p.apiSocket, process.geteuid?.() === 0);
  removeFile(p.apiSocket);
  log.debug('starting slirp4netns', { args: plan.args });
  const started = await startSlirp(binary, plan.args, p.log, o.netns);
  const undo = async (): Promise<void> => void (await stopHelper(started.pid, started.starttime));
  try {
    await slirpAdd(p.apiSocket, slirpHostFwds(o.ports));
  } catch (e) {
    await undo().catch(() => undefined);
    throw wrap('publishing ports through slirp4netns', e);
  }
  return { started, dns: slirpAddresses(o.cidr).dns, undo };
}

/**
 * Starts pasta or slirp4netns for the container namespace `netnsArg` and
 * returns once it is configured and its ports are published. Throws a
 * ConfigError for bad input (nothing started) and a SkiffError when the
 * helper cannot start; a helper started by a failed setup is stopped again.
 */
export async function rootlessSetup(netnsArg: string, flags: RootlessFlags, input: string, appEnv: AppEnv = {}): Promise<RootlessResult> {
  const mappings = parsePortInput(input);
  const o = parseRootlessOptions(netnsArg, flags, mappings);
  const userns = o.userns ?? deriveUserns(o.netns);
  if (userns !== undefined) o.userns = userns;
  checkNetns(o.netns);
  const binary = findBinary(o.backend);
  checkTun();
  const p = statePaths(stateDir(appEnv.config, appEnv.env), o.netns);

  return withNetnsLock(p, async () => {
    const old = readRecord(p.record);
    if (old && isOurs(old.pid, old.starttime)) {
      throw new SkiffError(`${o.netns} is already set up by skiff (${old.backend} pid ${old.pid})`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_EXISTS,
        hint: `Run \`skiff rootless teardown ${netnsArg}\` first`,
      });
    }
    if (old) removeState(p); // its helper is gone: stale

    const { started, dns, undo } = await start(o, p, binary).catch((e: unknown) => {
      removeState(p); // the helper's log is quoted in the error; leave nothing behind
      throw e;
    });
    try {
      const info = await readNetInfo(o.netns, o.userns);
      const result: RootlessResult = {
        backend: o.backend,
        netns: o.netns,
        pid: started.pid,
        interface: info.interface,
        ...(info.mtu !== undefined ? { mtu: info.mtu } : {}),
        addresses: info.addresses,
        ...(info.gateway4 ? { gateway4: info.gateway4 } : {}),
        ...(info.gateway6 ? { gateway6: info.gateway6 } : {}),
        dns_servers: [dns],
        port_mappings: toMappings(o.ports),
      };
      // pasta maps its gateway address to the host, slirp4netns its .2 address.
      if (o.hostLoopback) {
        const hl = o.backend === 'pasta' ? info.gateway4 : slirpAddresses(o.cidr).gateway;
        if (hl !== undefined) result.host_loopback = hl;
      }
      const record: StateRecord = {
        version: 1,
        backend: o.backend,
        netns: o.netns,
        ...(o.userns !== undefined ? { userns: o.userns } : {}),
        pid: started.pid,
        starttime: started.starttime,
        ...(o.backend === 'slirp4netns' ? { api_socket: p.apiSocket } : {}),
        port_mappings: result.port_mappings,
        result: { ...result },
      };
      writeRecord(p.record, record);
      return result;
    } catch (e) {
      await undo().catch((u: unknown) => log.warn('undo failed', { error: String(u) }));
      removeState(p);
      throw e;
    }
  });
}

export interface TeardownResult {
  netns: string;
  /** pid of the helper we stopped; null when there was nothing (left) to stop. */
  stopped: number | null;
}

/**
 * Stops the helper `setup` started for this netns and removes its state.
 * Idempotent: no state, or a helper that already exited, is success.
 */
export async function rootlessTeardown(netnsArg: string, appEnv: AppEnv = {}): Promise<TeardownResult> {
  const netns = netnsPath(netnsArg);
  const p = statePaths(stateDir(appEnv.config, appEnv.env), netns);
  return withNetnsLock(p, async () => {
    const errors: Error[] = [];
    let stopped: number | null = null;
    let rec: StateRecord | undefined;
    try {
      rec = readRecord(p.record);
    } catch (e) {
      errors.push(toError(e));
    }
    if (!rec) log.info('no rootless state for this netns; nothing to stop', { netns });
    if (rec) {
      try {
        if (await stopHelper(rec.pid, rec.starttime)) stopped = rec.pid;
      } catch (e) {
        errors.push(toError(e));
      }
    }
    // keep the state when the helper could not be stopped, so a retry finds it
    if (errors.length === 0) {
      try {
        removeState(p);
      } catch (e) {
        errors.push(toError(e));
      }
    }
    throwCollected(errors);
    return { netns, stopped };
  });
}

export interface PortsResult {
  netns: string;
  port_mappings: PortMapping[];
}

/**
 * Publishes (`add`) or withdraws (`remove`) ports of a running container.
 * Only slirp4netns can do this live (its API socket); for pasta it throws a
 * SkiffError that says to set the container up again. Removing a port that
 * is not published is success.
 */
export async function rootlessPorts(action: 'add' | 'remove', netnsArg: string, input: string, appEnv: AppEnv = {}): Promise<PortsResult> {
  const netns = netnsPath(netnsArg);
  const forwards = toForwardsOrExplain(input);
  const p = statePaths(stateDir(appEnv.config, appEnv.env), netns);
  return withNetnsLock(p, async () => {
    const rec = readRecord(p.record);
    if (!rec || !isOurs(rec.pid, rec.starttime)) {
      throw new SkiffError(`${netns} has no running rootless helper started by skiff`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_NOT_SET_UP,
        hint: `Run \`skiff rootless setup ${netnsArg}\` first`,
      });
    }
    if (rec.backend === 'pasta') {
      throw new SkiffError('pasta cannot change published ports of a running container (this adapter has no live port API for pasta)', {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_UNSUPPORTED,
        hint: 'Tear the container network down and set it up again with the new port_mappings, or use --backend slirp4netns',
      });
    }
    const fwds = slirpHostFwds(forwards);
    const socket = rec.api_socket ?? p.apiSocket;
    const current = decodeList(await call(socket, listHostFwd()));
    const asFwd = (e: HostFwdEntry): HostFwd => ({ proto: e.proto === 'udp' ? 'udp' : 'tcp', host_addr: e.host_addr, host_port: e.host_port, guest_port: e.guest_port });
    if (action === 'add') {
      const dup = fwds.find((f) => current.some((e) => sameHostSide(asFwd(e), f)));
      if (dup) throw new ConfigError(`${dup.proto} ${dup.host_addr}:${dup.host_port} is already published for this container`);
      await slirpAdd(socket, fwds);
    } else {
      const errors: Error[] = [];
      for (const f of fwds) {
        const hits = current.filter((e) => sameHostSide(asFwd(e), f));
        if (hits.length === 0) log.warn('port not published; nothing to remove', { port: f });
        for (const h of hits) await call(socket, removeHostFwd(h.id)).then(decodeRemove).catch((e: unknown) => errors.push(toError(e)));
      }
      throwCollected(errors);
    }
    const now = decodeList(await call(socket, listHostFwd())).map(entryToMapping);
    writeRecord(p.record, { ...rec, port_mappings: now, result: { ...rec.result, port_mappings: now } });
    return { netns, port_mappings: now };
  });
}

function toForwardsOrExplain(input: string): ReturnType<typeof toForwards> {
  const mappings = parsePortInput(input);
  if (mappings.length === 0) throw new ConfigError('stdin: port_mappings is empty; nothing to change');
  return toForwards(mappings);
}
