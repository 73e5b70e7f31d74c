// slirp4netns command line (as containers/common slirp4netns.go builds it),
// built as data. Ports are not on the command line: slirp4netns takes them
// through its API socket once it is running (slirp-api.ts).
import { Address4 } from 'ip-address';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import type { Features, RootlessOptions } from './types.js';

export const SLIRP_DEFAULT_CIDR = '10.0.2.0/24';
/** podman's default: large frames make slirp4netns several times faster than 1500. */
export const SLIRP_DEFAULT_MTU = 65520;
export const SLIRP_READY_FD = 3;

/** The fixed addresses slirp4netns uses inside its CIDR (slirp4netns(1)). */
export interface SlirpAddresses {
  network: string;
  prefixLength: number;
  guest: string; // .100
  gateway: string; // .2, also the host's loopback unless --disable-host-loopback
  dns: string; // .3
}

export function slirpAddresses(cidr = SLIRP_DEFAULT_CIDR): SlirpAddresses {
  const net = new Address4(cidr);
  const base = net.startAddress().bigInt();
  const at = (n: number): string => Address4.fromBigInt(base + BigInt(n)).correctForm();
  return { network: net.startAddress().correctForm(), prefixLength: net.subnetMask, guest: at(100), gateway: at(2), dns: at(3) };
}

function need(features: Features, option: string, why: string): void {
  if (!features.options.has(option)) {
    throw new SkiffError(`the installed slirp4netns (${features.version}) has no --${option}, needed ${why}`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_FEATURE,
      hint: 'Upgrade slirp4netns',
    });
  }
}

export interface SlirpPlan {
  args: string[];
  interface: string;
}

/**
 * Builds the slirp4netns arguments for one container. readiness is reported on
 * fd 3 (`-r 3`); `apiSocket` is where `rootless ports` reaches it later.
 * Throws when the installed slirp4netns lacks an option the request needs.
 */
export function slirpArgs(o: RootlessOptions, features: Features, apiSocket: string, sandbox = true): SlirpPlan {
  const args: string[] = [];
  if (!o.hostLoopback) {
    need(features, 'disable-host-loopback', 'to keep the host loopback private');
    args.push('--disable-host-loopback');
  }
  args.push(`--mtu=${o.mtu ?? SLIRP_DEFAULT_MTU}`);
  // Hardening is best effort, as in podman: used when this slirp4netns has it.
  if (sandbox && features.options.has('enable-sandbox')) args.push('--enable-sandbox');
  if (sandbox && features.options.has('enable-seccomp')) args.push('--enable-seccomp');
  if (o.cidr !== undefined) {
    need(features, 'cidr', 'for --cidr');
    args.push(`--cidr=${o.cidr}`);
  }
  if (o.ipv6) {
    need(features, 'enable-ipv6', 'for IPv6 (pass --no-ipv6 to go without)');
    args.push('--enable-ipv6');
  }
  if (o.outboundAddr4 !== undefined) {
    need(features, 'outbound-addr', 'for an IPv4 outbound address');
    args.push(`--outbound-addr=${o.outboundAddr4}`);
  }
  if (o.outboundAddr6 !== undefined) {
    need(features, 'outbound-addr6', 'for an IPv6 outbound address');
    args.push(`--outbound-addr6=${o.outboundAddr6}`);
  }
  args.push(...o.extraArgs);
  args.push('-c', '-r', String(SLIRP_READY_FD));
  need(features, 'api-socket', 'to publish ports');
  args.push('--api-socket', apiSocket);
  need(features, 'netns-type', 'to join a netns by path');
  args.push('--netns-type=path');
  if (o.userns !== undefined) {
    need(features, 'userns-path', 'to join the user namespace that owns the container netns');
    args.push(`--userns-path=${o.userns}`);
  }
  const ifname = o.interface ?? 'tap0';
  args.push(o.netns, ifname);
  return { args, interface: ifname };
}
