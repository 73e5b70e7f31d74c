// One file per attachment under <stateDir>/cni/<network>/: what ADD set up,
// for GC (which attachments exist) and CHECK (which ports to look for). DEL
// does not need it: every name it removes derives from the attachment.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { safeName } from '../../schemas/firewall-state.js';
import { removeFile, writeFileAtomic } from '../lib/state-files.js';

const DEFAULT_STATE_DIR = '/run/containers/networks';

/**
 * The directory shared with `skiff setup` (Podman's --config for rootful
 * networks): one lock and one set of firewall state files for the one
 * `inet skiff` table, whichever way Skiff was called.
 */
export function stateDirOf(confDir: string | undefined, env: NodeJS.ProcessEnv): string {
  return confDir ?? env.SKIFF_CNI_STATE_DIR ?? DEFAULT_STATE_DIR;
}

/** Same file as src/core/setup.ts lockPath: both modes serialize on it. */
export const lockPathOf = (stateDir: string): string => join(stateDir, 'skiff.lock');

const recordSchema = z.object({
  version: z.literal(1),
  containerId: z.string(),
  ifName: z.string(),
  netns: z.string(),
  network: z.string(),
  bridge: z.string(),
  hostVeth: z.string(),
  ips: z.array(z.string()),
  ports: z.number(),
});
export type AttachmentRecord = z.infer<typeof recordSchema>;

const dirOf = (stateDir: string, network: string) => join(stateDir, 'cni', safeName(network));
const fileOf = (stateDir: string, network: string, containerId: string, ifName: string) =>
  join(dirOf(stateDir, network), `${safeName(containerId)}_${safeName(ifName)}.json`);

export function saveRecord(stateDir: string, r: AttachmentRecord): void {
  writeFileAtomic(fileOf(stateDir, r.network, r.containerId, r.ifName), JSON.stringify(r) + '\n');
}

export function removeRecord(stateDir: string, network: string, containerId: string, ifName: string): void {
  removeFile(fileOf(stateDir, network, containerId, ifName));
}

/** Every readable record of a network; damaged files are skipped (reported through `bad`). */
export function listRecords(stateDir: string, network: string, bad: (file: string) => void = () => {}): AttachmentRecord[] {
  let files: string[];
  try {
    files = readdirSync(dirOf(stateDir, network)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: AttachmentRecord[] = [];
  for (const f of files.sort()) {
    const path = join(dirOf(stateDir, network), f);
    try {
      const r = recordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (r.success) out.push(r.data);
      else bad(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') bad(path);
    }
  }
  return out;
}
