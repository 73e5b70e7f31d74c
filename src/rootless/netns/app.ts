// `skiff rootless netns ensure|status|destroy`: the application API behind
// the CLI. State lives in <state dir>/rootless-netns (state dir: --config,
// else $XDG_RUNTIME_DIR/skiff).
import { SkiffError } from '../../lib/errors.js';
import { ErrorCode } from '../../lib/error-codes.js';
import { withLock } from '../../lib/lock.js';
import { stateDir } from '../state.js';
import { destroyAll, ensureNetns, status, stopNetns, type NetnsStatus } from './lifecycle.js';
import { EMPTY_PORTS, parsePortsFlag, union, uncovered } from './portset.js';
import { netnsPaths, readAttachments, readConfig, writeConfig } from './state.js';
import type { Backend } from '../types.js';

export interface NetnsEnv {
  config?: string;
  env?: NodeJS.ProcessEnv;
}

const pathsOf = (e: NetnsEnv) => netnsPaths(stateDir(e.config, e.env));

/**
 * Creates the rootless netns (or checks the running one). `ports` (the
 * --ports flag) and `backend` are remembered for every later (re)creation.
 * When the running netns lacks some of the ports (pasta) or has another
 * backend, it is rebuilt, but only while no container is attached;
 * otherwise a SkiffError says so.
 */
export async function netnsEnsure(flags: { ports?: string; backend?: Backend }, e: NetnsEnv = {}): Promise<NetnsStatus> {
  const ports = flags.ports === undefined ? undefined : parsePortsFlag(flags.ports); // input errors before any file is made
  const p = pathsOf(e);
  return withLock(p.lock, async () => {
    const old = readConfig(p);
    const cfg = { ports: ports ?? old?.ports ?? EMPTY_PORTS, backend: flags.backend ?? old?.backend ?? 'pasta' };
    writeConfig(p, cfg);
    const { info, created } = await ensureNetns(p, cfg.ports, cfg.backend);
    const stale = info.backend !== cfg.backend || (cfg.backend === 'pasta' && uncovered(info.ports, cfg.ports).length > 0);
    if (!created && stale) {
      if (readAttachments(p).length > 0) {
        throw new SkiffError(`the rootless netns is in use; its ${info.backend} cannot be replaced or forward new ports without cutting their connections`, {
          code: ErrorCode.SKIFF_ERR_ROOTLESS_PORTS,
          hint: 'Stop the containers on rootless bridge networks first',
        });
      }
      await stopNetns(p, info);
      await ensureNetns(p, info.backend === cfg.backend ? union(info.ports, cfg.ports) : cfg.ports, cfg.backend);
    }
    return status(p);
  });
}

export function netnsStatus(e: NetnsEnv = {}): NetnsStatus & { ref_count: number; attachments: string[] } {
  const p = pathsOf(e);
  const attachments = readAttachments(p);
  return { ...status(p), ref_count: attachments.length, attachments };
}

/** Stops pasta, the netns and the user namespace holder. Refuses while containers are attached, unless `force`. */
export async function netnsDestroy(force: boolean, e: NetnsEnv = {}): Promise<{ stopped: number[] }> {
  const p = pathsOf(e);
  return withLock(p.lock, async () => {
    const attached = readAttachments(p);
    if (attached.length > 0 && !force) {
      throw new SkiffError(`the rootless netns still has ${attached.length} container network(s) attached (${attached.join(', ')})`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_NETNS_BUSY,
        hint: 'Tear the containers down first, or pass --force',
      });
    }
    const r = await destroyAll(p);
    const { removeFile } = await import('../../lib/state-files.js');
    for (const f of [p.attachments, p.refCount]) removeFile(f);
    return r;
  });
}
