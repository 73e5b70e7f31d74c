// What `skiff setup/teardown/update` call for DNS: keep the per-network files
// in <configDir>/aardvark-dns in step with the containers, and make sure one
// DNS server serves them. Every change happens under <configDir>/aardvark.lock
// with atomic file replacement, so concurrent setups never lose each other's
// lines; `commitDnsEntries` returns only when the server serves the new names.
// The server fed here is dns/ (skiff-dns) or stock aardvark-dns; README.md here maps the folder.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileNameFor, isConfigFileName, loadedFilePath, PID_FILE, serializeContainer, serializeHeader } from '../../schemas/aardvark-config.js';
import { readOptional, removeFile } from '../lib/state-files.js';
import { SkiffError, errorMessage } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { withLock } from '../lib/lock.js';
import { createLog, type Log } from '../lib/log.js';
import { addLines, removeLines, setNetworkServers } from './entries.js';
import { dirDigest, putFile } from './files.js';
import { exited, inOtherNetns, readPid, servesDir, signal, startServer, stopServer, waitLoaded } from './process.js';

export interface DnsContext {
  /** the --config dir; files go to <configDir>/aardvark-dns */
  configDir: string;
  dnsPort: number;
  /** --aardvark-binary; a missing file silently disables DNS (info log), as netavark does */
  binary: string;
  rootless: boolean;
}

export interface DnsContainerEntry {
  network: string;
  internal: boolean;
  /** gateways */
  bindIps: string[];
  networkDnsServers: string[];
  containerId: string;
  ipv4: string[];
  ipv6: string[];
  /** container name first, then aliases */
  names: string[];
  containerDnsServers: string[];
}

const CONFIRM_TIMEOUT_MS = 5000;
/** How long a server that lost its last network gets to exit on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 800;
let log: Log | undefined;
const logger = (): Log => (log ??= createLog('skiff'));

const dnsDir = (ctx: DnsContext): string => join(ctx.configDir, 'aardvark-dns');
const lockPath = (ctx: DnsContext): string => join(ctx.configDir, 'aardvark.lock');

/**
 * Adds the container's lines to its networks' files and makes the server
 * serve them: SIGHUP a running server and wait for its confirmation, or start
 * one. Throws `aardvark-dns failed to start: <stderr>` (after removing the
 * lines again) when the server cannot be started.
 */
export async function commitDnsEntries(ctx: DnsContext, entries: DnsContainerEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (!existsSync(ctx.binary)) {
    logger().info(`dns server ${ctx.binary} not found, container name resolution is disabled`);
    return;
  }
  const dir = dnsDir(ctx);
  mkdirSync(dir, { recursive: true });
  await withLock(lockPath(ctx), async () => {
    for (const e of entries) {
      const file = fileNameFor(e.network, e.internal);
      const header = serializeHeader(e.bindIps, e.internal ? [] : e.networkDnsServers);
      const line = serializeContainer({
        id: e.containerId,
        ipv4: e.ipv4,
        ipv6: e.ipv6,
        names: e.names,
        dnsServers: e.containerDnsServers,
      });
      putFile(dir, file, addLines(readOptional(join(dir, file)), header, [{ id: e.containerId, line }]));
    }
    try {
      await serveCurrent(ctx, dir, true);
    } catch (err) {
      for (const e of entries) {
        const file = fileNameFor(e.network, e.internal);
        const content = readOptional(join(dir, file));
        if (content !== undefined) putFile(dir, file, removeLines(content, e.containerId));
      }
      throw err;
    }
  });
}

/**
 * Removes the container's lines (and files left with only a header), then
 * tells the server. When no network file is left, the server is stopped here
 * and gone when this returns: a server left to notice that on its own
 * outlives the last container by however long that takes.
 */
export async function removeDnsEntries(ctx: DnsContext, containerId: string, networks: { name: string; internal: boolean }[]): Promise<void> {
  const dir = dnsDir(ctx);
  if (networks.length === 0 || !existsSync(dir)) return;
  await withLock(lockPath(ctx), async () => {
    let changed = false;
    for (const n of networks) {
      const file = fileNameFor(n.name, n.internal);
      const content = readOptional(join(dir, file));
      if (content === undefined) continue;
      putFile(dir, file, removeLines(content, containerId));
      changed = true;
    }
    if (!changed) return;
    if (hasNetworks(dir)) await serveCurrent(ctx, dir, false);
    else await stopIdleServer(dir);
  });
}

function hasNetworks(dir: string): boolean {
  try {
    return readdirSync(dir).some(isConfigFileName);
  } catch {
    return false;
  }
}

/**
 * The last network file is gone: stop the server (SIGTERM, SIGKILL after
 * STOP_GRACE_MS) and remove what it would have removed on a clean exit.
 * Only a process that is a DNS server for this dir is ever signalled.
 */
async function stopIdleServer(dir: string): Promise<void> {
  const pid = readPid(dir);
  if (pid !== undefined && !exited(pid) && servesDir(pid, dir)) {
    logger().debug(`no network left, stopping dns server ${pid}`);
    await stopServer(pid, STOP_GRACE_MS);
  }
  // a clean exit removes these; a killed or crashed server leaves them behind
  if (pid !== undefined && exited(pid)) {
    if (readPid(dir) === pid) removeFile(join(dir, PID_FILE));
    const loaded = loadedFilePath(dir);
    if (readOptional(loaded)?.startsWith(`${pid} `)) removeFile(loaded);
  }
}

/** `update`: rewrites the network's DNS servers. A missing file is success; SIGHUP only when servers is non-empty. */
export async function updateNetworkDnsServers(ctx: DnsContext, network: string, servers: string[]): Promise<void> {
  const dir = dnsDir(ctx);
  await withLock(lockPath(ctx), async () => {
    const content = readOptional(join(dir, network));
    if (content === undefined) return;
    putFile(dir, network, setNetworkServers(content, servers));
    if (servers.length > 0) await serveCurrent(ctx, dir, false);
  });
}

/**
 * Makes a server serve the dir as it is now: SIGHUP the running one and wait
 * for it to confirm, or start one. A server in another network namespace
 * cannot serve our gateways: it is replaced (its config is on disk).
 */
async function serveCurrent(ctx: DnsContext, dir: string, mayStart: boolean): Promise<void> {
  let pid = readPid(dir);
  if (pid !== undefined && (exited(pid) || !servesDir(pid, dir))) {
    if (!exited(pid)) logger().warn(`stale ${dir}/aardvark.pid names pid ${pid}, which is not a dns server for it; starting one`);
    pid = undefined;
  }
  // only setup (mayStart) moves the server: update and teardown may run from
  // another namespace than the one it serves (netavark#911), a SIGHUP reaches it anyway
  if (pid !== undefined && mayStart && inOtherNetns(pid)) {
    logger().warn(`dns server ${pid} runs in a different network namespace, restarting it here`);
    await stop(pid);
    pid = undefined;
  }
  if (pid !== undefined) {
    const digest = dirDigest(dir);
    if (signal(pid, 'SIGHUP')) {
      const r = await waitLoaded(dir, pid, digest, CONFIRM_TIMEOUT_MS);
      if (r === 'ok') return;
      if (r === 'timeout') {
        logger().warn(`dns server ${pid} did not confirm the reload within ${CONFIRM_TIMEOUT_MS} ms`);
        return;
      }
      // it exited meanwhile (e.g. it had just lost its last network): start a new one
    }
  }
  // teardown and update only tell a running server; a new one starts with the next setup
  if (!mayStart) return;
  try {
    await startServer(ctx.binary, dir, ctx.dnsPort, ctx.rootless, logger());
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    throw new SkiffError(`aardvark-dns failed to start: ${errorMessage(e)}`, { code: ErrorCode.SKIFF_ERR_DNS_START, cause: e });
  }
}

async function stop(pid: number): Promise<void> {
  await stopServer(pid, 2000);
}
