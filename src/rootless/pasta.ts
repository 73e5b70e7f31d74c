// pasta command line, built as data (like containers/common createPastaArgs,
// as containers/common's createPastaArgs) so every option is table-tested without starting anything.
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { pastaSpec } from './ports.js';
import type { Features, RootlessOptions } from './types.js';

/** Podman's defaults: the DNS forwarder and the host.containers.internal target. */
export const PASTA_DNS_FORWARD = '169.254.1.1';
export const PASTA_MAP_GUEST_ADDR = '169.254.1.2';

export interface PastaPlan {
  args: string[];
  /** The address the container should use as its resolver. */
  dnsForward: string;
}

/** Options the caller may pass through `extraArgs` that change what we add ourselves. */
function scanExtra(extra: readonly string[]): { tcp: boolean; udp: boolean; tcpNs: boolean; udpNs: boolean; mapGw: boolean; dns?: string } {
  const seen = { tcp: false, udp: false, tcpNs: false, udpNs: false, mapGw: false, dns: undefined as string | undefined };
  extra.forEach((a, i) => {
    if (a === '-t' || a === '--tcp-ports') seen.tcp = true;
    else if (a === '-u' || a === '--udp-ports') seen.udp = true;
    else if (a === '-T' || a === '--tcp-ns') seen.tcpNs = true;
    else if (a === '-U' || a === '--udp-ns') seen.udpNs = true;
    else if (a === '--map-gw') seen.mapGw = true;
    else if (a === '--dns-forward' && extra[i + 1] !== undefined) seen.dns ??= extra[i + 1];
  });
  return seen;
}

function need(features: Features, option: string, why: string): void {
  if (!features.options.has(option)) {
    throw new SkiffError(`the installed pasta (${features.version}) has no --${option}, needed ${why}`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_FEATURE,
      hint: 'Upgrade the passt package',
    });
  }
}

/**
 * Builds the pasta arguments for one container. `pidFile` is where pasta
 * writes the pid of its background process, which teardown later stops;
 * `logFile` receives its output with `debug`.
 * Throws when the installed pasta lacks an option the request needs.
 */
export function pastaArgs(o: RootlessOptions, features: Features, pidFile: string, logFile?: string): PastaPlan {
  need(features, 'config-net', 'to configure the container interface');
  const args = ['--config-net', '--pid', pidFile];
  if (o.mtu !== undefined) args.push('--mtu', String(o.mtu));
  if (!o.ipv6) args.push('--ipv4-only');
  if (o.outboundAddr4 !== undefined) args.push('--outbound', o.outboundAddr4);
  if (o.outboundAddr6 !== undefined) args.push('--outbound', o.outboundAddr6);
  if (o.interface !== undefined) args.push('--ns-ifname', o.interface);
  // `--map-gw` is podman's pseudo-option (pasta has none): it only suppresses --no-map-gw.
  args.push(...o.extraArgs.filter((a) => a !== '--map-gw'));

  const seen = scanExtra(o.extraArgs);
  for (const f of o.ports) args.push(f.proto === 'tcp' ? '-t' : '-u', pastaSpec(f));

  const dnsForward = o.dnsForward ?? seen.dns ?? PASTA_DNS_FORWARD;
  if (seen.dns === undefined) {
    need(features, 'dns-forward', 'to give the container a DNS server');
    args.push('--dns-forward', dnsForward);
  }
  // Without explicit specs pasta forwards every bound port ("auto"); a
  // container gets exactly the ports it publishes, so switch auto off.
  const tcp = seen.tcp || o.ports.some((f) => f.proto === 'tcp');
  const udp = seen.udp || o.ports.some((f) => f.proto === 'udp');
  if (!tcp) args.push('-t', 'none');
  if (!udp) args.push('-u', 'none');
  if (!seen.tcpNs) args.push('-T', 'none');
  if (!seen.udpNs) args.push('-U', 'none');
  // The gateway address reaches the host's loopback only when asked for: otherwise any container could reach the host's local services.
  if (!o.hostLoopback && !seen.mapGw) args.push('--no-map-gw');
  if (!o.debug) args.push('--quiet');
  else {
    args.push('--debug');
    // in the background pasta's stderr is /dev/null: keep the debug output next to the state
    if (logFile !== undefined && features.options.has('log-file')) args.push('--log-file', logFile);
  }
  if (o.userns !== undefined) {
    need(features, 'userns', 'to join the user namespace that owns the container netns');
    args.push('--userns', o.userns);
  }
  args.push('--netns', o.netns);
  // Older pasta (before 2024-08-14) has no --map-guest-addr; podman retries without it, we probe first.
  const guest = o.mapGuestAddr ?? PASTA_MAP_GUEST_ADDR;
  if (features.options.has('map-guest-addr')) args.push('--map-guest-addr', guest);
  else if (o.mapGuestAddr !== undefined) need(features, 'map-guest-addr', 'for --map-guest-addr');
  return { args, dnsForward };
}
