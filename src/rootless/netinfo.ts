// What the container ended up with, read back from its namespace with
// `ip -j` (as podman does after pasta): parsing is pure, reading goes through
// nsenter because the namespace may belong to the user's own user namespace.
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { run } from '../lib/exec.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { cleanHelperOutput } from './probe.js';

const addrSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    mtu: z.optional(z.number()),
    flags: z.optional(z.array(z.string())),
    addr_info: z.optional(z.array(z.looseObject({ family: z.string(), local: z.string(), prefixlen: z.number(), scope: z.optional(z.string()) }))),
  }),
);
const routeSchema = z.array(z.looseObject({ dst: z.string(), gateway: z.optional(z.string()), dev: z.optional(z.string()) }));

export interface NetInfo {
  interface: string;
  mtu?: number;
  addresses: string[];
  gateway4?: string;
  gateway6?: string;
}

function parseJson<T>(text: string, schema: z.ZodMiniType<T>, what: string): T {
  const t = text.trim();
  try {
    return schema.parse(t === '' ? [] : JSON.parse(t));
  } catch {
    throw new SkiffError(`cannot parse \`ip -j ${what}\` output: ${t.slice(0, 200)}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_READBACK });
  }
}

/**
 * Picks the helper's interface (the one carrying the default route, else the
 * first non-loopback one with an address) and its global addresses.
 */
export function parseNetInfo(addrJson: string, route4Json: string, route6Json: string): NetInfo {
  const links = parseJson(addrJson, addrSchema, 'addr');
  const r4 = parseJson(route4Json, routeSchema, 'route').find((r) => r.dst === 'default');
  const r6 = parseJson(route6Json, routeSchema, '-6 route').find((r) => r.dst === 'default');
  const candidates = links.filter((l) => !(l.flags ?? []).includes('LOOPBACK') && l.ifname !== 'lo');
  const link =
    candidates.find((l) => l.ifname === r4?.dev) ??
    candidates.find((l) => l.ifname === r6?.dev) ??
    candidates.find((l) => (l.addr_info ?? []).length > 0);
  if (!link) throw new SkiffError('the container namespace has no interface besides lo after setup', { code: ErrorCode.SKIFF_ERR_ROOTLESS_READBACK });
  const info: NetInfo = {
    interface: link.ifname,
    // IPv6 link-local addresses are skipped: they are not what a caller can publish or use.
    addresses: (link.addr_info ?? []).filter((a) => a.scope !== 'link' && a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`),
  };
  if (link.mtu !== undefined) info.mtu = link.mtu;
  if (r4?.gateway) info.gateway4 = r4.gateway;
  if (r6?.gateway) info.gateway6 = r6.gateway;
  return info;
}

/** `nsenter` prefix that enters the netns (and its owning user namespace when it is not ours). */
export function nsenterArgs(netns: string, userns: string | undefined): string[] {
  return userns === undefined ? [`--net=${netns}`] : ['--preserve-credentials', `--user=${userns}`, `--net=${netns}`];
}

export async function readNetInfo(netns: string, userns: string | undefined): Promise<NetInfo> {
  const pre = nsenterArgs(netns, userns);
  const ip = async (args: string[]): Promise<string> => {
    const r = await run('nsenter', [...pre, 'ip', '-j', ...args], { timeoutMs: 5000 });
    if (r.code !== 0) {
      throw new SkiffError(`reading back the container network (ip ${args.join(' ')} in ${netns}) failed: ${cleanHelperOutput(r.stderr) || `exit ${r.code}`}`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_READBACK,
        ...(userns === undefined ? { hint: 'If the namespace belongs to another user namespace, pass --userns with its path' } : {}),
      });
    }
    return r.stdout;
  };
  const [addr, r4, r6] = await Promise.all([ip(['addr', 'show']), ip(['-4', 'route', 'show']), ip(['-6', 'route', 'show'])]);
  return parseNetInfo(addr, r4, r6);
}
