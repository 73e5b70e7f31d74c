// `skiff setup/teardown --rootless true` run by a plain user (no
// CAP_NET_ADMIN where it stands): count the container's networks into the
// shared rootless netns (creating it on first use), then run the same skiff
// command again inside it, where it builds bridges, veths, nftables rules and
// skiff-dns exactly as when Podman runs it inside its own rootless netns.
import { run } from '../../lib/exec.js';
import { ConfigError, SkiffError, toError, throwCollected } from '../../lib/errors.js';
import { ErrorCode } from '../../lib/error-codes.js';
import { withLock } from '../../lib/lock.js';
import { createLog } from '../../lib/log.js';
import { parseNetworkOptions } from '../../../schemas/network-options.js';
import { INNER_ENV } from './caps.js';
import { enterArgv } from './argv.js';
import { ensureNetns, stopNetns } from './lifecycle.js';
import { EMPTY_PORTS, formatPortSet, portSetOf, union, uncovered, type PortSet } from './portset.js';
import { addFwds, removeFwds, samePortFwds } from './slirp-ports.js';
import type { PortMapping } from '../../../schemas/port-mapping.js';
import { netnsPaths, readAttachments, readConfig, readHostFwds, readInfo, writeAttachments, writeHostFwds, type NetnsInfo, type NetnsPaths } from './state.js';
import { isOurs } from '../proc.js';

const log = createLog('skiff-rootless-netns');

export interface InnerCommand {
  /** global flags to pass on, e.g. ['--config', dir, '--rootless', 'true'] */
  globals: string[];
  command: 'setup' | 'teardown';
  netns: string;
}

export interface Attaching {
  containerId: string;
  /** counted in ref-count: one per container network */
  keys: string[];
  /** the host ports the container publishes */
  mappings: PortSet;
  portMappings: PortMapping[];
}

/** Reads what `skiff setup/teardown` got on stdin: the keys to count and the ports to publish. Throws a ConfigError for bad input. */
export function attachmentKeys(input: string): Attaching {
  const r = parseNetworkOptions(input);
  if (!r.ok) {
    // netavark's text where it has one; Skiff's field path goes to the debug log
    throw new ConfigError(r.netavark ?? `failed to load network options: ${r.error}`, { detail: r.error });
  }
  const o = r.value;
  return { containerId: o.containerId, keys: o.attachments.map((a) => `${o.containerId}/${a.name}`), mappings: portSetOf(o.portMappings), portMappings: o.portMappings };
}

async function runInner(info: NetnsInfo, p: NetnsPaths, c: InnerCommand, input: string): Promise<string> {
  if (!info.holder) throw new SkiffError('rootless netns has no holder process', { code: ErrorCode.SKIFF_ERR_ROOTLESS_NETNS });
  const script = process.argv[1];
  if (script === undefined) throw new SkiffError('cannot find the skiff script to run inside the rootless netns');
  const [cmd, args] = enterArgv(info.pause.pid, info.holder.pid, p.resolv, [process.execPath, script, ...c.globals, c.command, c.netns]);
  log.debug('entering the rootless netns', { cmd, args });
  const r = await run(cmd, args, { input, env: { ...process.env, [INNER_ENV]: '1' }, timeoutMs: 120_000 });
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.code === 0) return r.stdout;
  // the inner skiff printed {"error": ...}: pass its message and exit code on unchanged
  let message = r.stdout.trim() || r.stderr.trim() || `exit status ${r.code ?? r.signal}`;
  try {
    const j = JSON.parse(r.stdout) as { error?: unknown };
    if (typeof j.error === 'string') message = j.error;
  } catch {
    /* not JSON: keep the raw text */
  }
  // a container netns owned by another user namespace cannot be entered from ours
  // (netavark's `invalid namespace path: …` text does not name the path)
  const foreign =
    /Permission denied|Operation not permitted|EPERM|EACCES/.test(message) && (message.includes(c.netns) || message.startsWith('invalid namespace path'));
  throw new SkiffError(message, {
    code: ErrorCode.SKIFF_ERR_ROOTLESS_INNER,
    exitCode: r.code ?? 1,
    ...(foreign
      ? { hint: `Create the container's network namespace inside the rootless user namespace (the "userns" of \`skiff rootless netns status\`), e.g. nsenter --preserve-credentials --user=/proc/${info.pause.pid}/ns/user -- unshare --net ...` }
      : {}),
  });
}

/** slirp4netns: withdraws the container's live forwards once none of its networks is attached. */
async function unpublish(p: NetnsPaths, containerId: string, left: readonly string[]): Promise<void> {
  if (left.some((k) => k.startsWith(`${containerId}/`))) return;
  const all = readHostFwds(p);
  const mine = all[containerId];
  if (!mine) return;
  const info = readInfo(p);
  if (info?.backend === 'slirp4netns' && info.conn && isOurs(info.conn.pid, info.conn.starttime)) {
    await removeFwds(p.apiSocket, mine.map((f) => f.id));
  }
  delete all[containerId];
  writeHostFwds(p, all);
}

async function detach(p: NetnsPaths, a: Attaching): Promise<void> {
  const left = readAttachments(p).filter((k) => !a.keys.includes(k));
  writeAttachments(p, left);
  await unpublish(p, a.containerId, left);
  const info = readInfo(p);
  if (left.length === 0 && info && (info.holder || info.conn)) {
    log.debug('last container network detached; stopping the rootless netns');
    await stopNetns(p, info);
  }
}

/** slirp4netns: adds the container's forwards once (a repeated setup of the same container adds none). */
async function publish(p: NetnsPaths, a: Attaching): Promise<void> {
  const all = readHostFwds(p);
  if (all[a.containerId] !== undefined) return;
  const fwds = samePortFwds(a.portMappings);
  if (fwds.length === 0) return;
  all[a.containerId] = await addFwds(p.apiSocket, fwds);
  writeHostFwds(p, all);
}

/**
 * `skiff setup` through the rootless netns: returns the inner skiff's stdout.
 * Publishing a port pasta does not forward is refused before anything
 * changes, unless no container is attached (then the netns is made again
 * with the wider port set: nothing to cut).
 */
export async function enterSetup(stateDir: string, c: InnerCommand, input: string): Promise<string> {
  const a = attachmentKeys(input);
  const { keys, mappings } = a;
  const p = netnsPaths(stateDir);
  const info = await withLock(p.lock, async () => {
    const cfg = readConfig(p);
    const want = union(cfg?.ports ?? EMPTY_PORTS, mappings);
    let { info } = await ensureNetns(p, want, cfg?.backend);
    const missing = info.backend === 'pasta' ? uncovered(info.ports, mappings) : [];
    const attached = readAttachments(p);
    if (info.backend === 'slirp4netns') {
      await publish(p, a).catch(async (e: unknown) => {
        if (attached.length === 0) await stopNetns(p, info).catch(() => undefined);
        throw e;
      });
    } else if (missing.length > 0 && attached.length === 0) {
      await stopNetns(p, info);
      info = (await ensureNetns(p, union(info.ports, want), info.backend)).info;
    } else if (missing.length > 0) {
      throw new SkiffError(`the rootless netns does not forward ${missing.join(', ')} (it forwards ${formatPortSet(info.ports)})`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_PORTS,
        hint: 'pasta cannot add ports while containers use the namespace: publish ports inside that set, or stop the containers and run `skiff rootless netns ensure --ports ...` with the ports you need',
      });
    }
    writeAttachments(p, [...attached.filter((k) => !keys.includes(k)), ...keys]);
    return info;
  });
  try {
    return await runInner(info, p, c, input);
  } catch (e) {
    await withLock(p.lock, () => detach(p, a)).catch((u: unknown) => log.warn('undo failed', { error: String(u) }));
    throw e;
  }
}

/** `skiff teardown` through the rootless netns; idempotent (no netns = nothing to tear down). */
export async function enterTeardown(stateDir: string, c: InnerCommand, input: string): Promise<string> {
  const a = attachmentKeys(input);
  const p = netnsPaths(stateDir);
  return withLock(p.lock, async () => {
    const errors: Error[] = [];
    let out = '';
    const info = readInfo(p);
    if (info?.holder && isOurs(info.holder.pid, info.holder.starttime)) {
      out = await runInner(info, p, c, input).catch((e: unknown) => {
        errors.push(toError(e));
        return '';
      });
    } else {
      log.info('no rootless netns running; nothing to tear down inside it', { dir: p.dir });
    }
    await detach(p, a).catch((e: unknown) => errors.push(toError(e)));
    throwCollected(errors);
    return out;
  });
}
