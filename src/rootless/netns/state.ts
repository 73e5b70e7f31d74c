// State of the shared rootless netns, in <state dir>/rootless-netns/ (the
// layout of Podman's rootless netns): info.json (who holds what),
// rootless-netns-conn.pid (pasta's pid file), ref-count, attachments.json
// (one key per container network, so a repeated teardown cannot count twice),
// config.json (--ports and --backend, kept across re-creation), resolv.conf,
// lock; with slirp4netns also slirp.sock (its API) and hostfwds.json.
import { join } from 'node:path';
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../../schemas/zod-locale.js';
import { readOptional, writeFileAtomic } from '../../lib/state-files.js';
import { SkiffError } from '../../lib/errors.js';
import { ErrorCode } from '../../lib/error-codes.js';

export interface NetnsPaths {
  dir: string;
  info: string;
  connPid: string;
  refCount: string;
  attachments: string;
  config: string;
  resolv: string;
  lock: string;
  log: string;
  apiSocket: string;
  hostFwds: string;
}

export function netnsPaths(stateDir: string): NetnsPaths {
  const dir = join(stateDir, 'rootless-netns');
  return {
    dir,
    info: join(dir, 'info.json'),
    connPid: join(dir, 'rootless-netns-conn.pid'),
    refCount: join(dir, 'ref-count'),
    attachments: join(dir, 'attachments.json'),
    config: join(dir, 'config.json'),
    resolv: join(dir, 'resolv.conf'),
    lock: join(dir, 'lock'),
    log: join(dir, 'conn.log'),
    apiSocket: join(dir, 'slirp.sock'),
    hostFwds: join(dir, 'hostfwds.json'),
  };
}

const proc = z.object({ pid: z.int().check(z.positive()), starttime: z.string() });
export type ProcRef = z.infer<typeof proc>;
const range = z.tuple([z.int(), z.int()]);
const portSet = z.object({ tcp: z.array(range), udp: z.array(range) });

const infoSchema = z.object({
  version: z.literal(1),
  backend: z.enum(['pasta', 'slirp4netns']),
  /** the user namespace holder ("pause"): lives until `rootless netns destroy` */
  pause: proc,
  /** the network namespace holder, inside pause's user namespace; gone at ref-count 0 */
  holder: z.nullable(proc),
  /** pasta or slirp4netns connecting the netns to the host */
  conn: z.nullable(proc),
  ports: portSet,
  dns: z.array(z.string()),
  addresses: z.array(z.string()),
});
export type NetnsInfo = z.infer<typeof infoSchema>;

const configSchema = z.object({ ports: portSet, backend: z.optional(z.enum(['pasta', 'slirp4netns'])) });
export type NetnsConfig = z.infer<typeof configSchema>;

/** slirp4netns only: the live host forwards of each container (its API ids), re-added when slirp4netns restarts. */
const hostFwdsSchema = z.record(
  z.string(),
  z.array(z.object({ id: z.int(), proto: z.enum(['tcp', 'udp']), host_addr: z.string(), host_port: z.int(), guest_port: z.int() })),
);
export type HostFwds = z.infer<typeof hostFwdsSchema>;
export const readHostFwds = (p: NetnsPaths): HostFwds => readJson(p.hostFwds, hostFwdsSchema, 'rootless netns host forwards') ?? {};
export const writeHostFwds = (p: NetnsPaths, f: HostFwds): void => writeFileAtomic(p.hostFwds, JSON.stringify(f) + '\n', 0o600);

function readJson<T>(path: string, schema: z.ZodMiniType<T>, what: string): T | undefined {
  let text: string | undefined;
  try {
    text = readOptional(path);
  } catch (e) {
    throw new SkiffError(`cannot read ${what} ${path}: ${(e as Error).message}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_STATE });
  }
  if (text === undefined) return undefined;
  const r = schema.safeParse((() => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  })());
  if (!r.success) {
    throw new SkiffError(`${what} ${path} is corrupt`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_STATE,
      hint: 'Run `skiff rootless netns destroy --force` to start over',
    });
  }
  return r.data;
}

export const readInfo = (p: NetnsPaths): NetnsInfo | undefined => readJson(p.info, infoSchema, 'rootless netns state');
export const writeInfo = (p: NetnsPaths, info: NetnsInfo): void => writeFileAtomic(p.info, JSON.stringify(info) + '\n', 0o600);

export const readAttachments = (p: NetnsPaths): string[] => readJson(p.attachments, z.array(z.string()), 'rootless netns attachments') ?? [];
export function writeAttachments(p: NetnsPaths, keys: readonly string[]): void {
  writeFileAtomic(p.attachments, JSON.stringify([...keys]) + '\n', 0o600);
  // podman's file name and meaning: the number of attached container networks
  writeFileAtomic(p.refCount, `${keys.length}\n`, 0o600);
}

export const readConfig = (p: NetnsPaths): NetnsConfig | undefined => readJson(p.config, configSchema, 'rootless netns config');
export const writeConfig = (p: NetnsPaths, c: NetnsConfig): void => writeFileAtomic(p.config, JSON.stringify(c) + '\n', 0o600);

/** The resolver the rootless netns (and skiff-dns in it) uses: pasta's DNS forwarder or slirp4netns' .3. */
export function resolvConf(dns: readonly string[]): string {
  return '# generated by skiff for the rootless netns\n' + dns.map((d) => `nameserver ${d}\n`).join('');
}
