// Published ports for the rootless helpers. PortMapping (what podman sends) is
// split into one PortForward per protocol, then rendered as pasta `-t/-u` specs
// or as slirp4netns API `add_hostfwd` requests. All pure.
import { Address4, Address6 } from 'ip-address';
import { splitProtocols, type PortMapping } from '../../schemas/port-mapping.js';
import { ConfigError } from '../lib/errors.js';
import type { PortForward } from './types.js';

/** Validates and splits mappings; `where` names the input in errors (e.g. "port_mappings"). */
export function toForwards(mappings: readonly PortMapping[], where = 'port_mappings'): PortForward[] {
  const out: PortForward[] = [];
  mappings.forEach((m, i) => {
    const at = `${where}[${i}]`;
    let protos;
    try {
      protos = splitProtocols(m.protocol);
    } catch (e) {
      throw new ConfigError(`${at}.protocol: ${(e as Error).message}`);
    }
    const range = m.range === 0 ? 1 : m.range;
    if (m.host_port === 0) throw new ConfigError(`${at}.host_port: 0 (a random port) must be chosen by the engine before calling skiff`);
    if (m.container_port === 0) throw new ConfigError(`${at}.container_port: must be 1-65535`);
    if (m.host_port + range - 1 > 65535 || m.container_port + range - 1 > 65535) {
      throw new ConfigError(`${at}.range: ${range} ports from ${m.host_port}/${m.container_port} run past 65535`);
    }
    if (m.host_ip !== '' && !Address4.isValid(m.host_ip) && !Address6.isValid(m.host_ip)) {
      throw new ConfigError(`${at}.host_ip: "${m.host_ip}" is not an IP address`);
    }
    for (const p of protos) {
      if (p === 'sctp') {
        throw new ConfigError(`${at}.protocol: sctp cannot be published rootless (pasta and slirp4netns forward only tcp and udp)`);
      }
      out.push({ proto: p, hostIp: m.host_ip, hostPort: m.host_port, containerPort: m.container_port, range });
    }
  });
  return out;
}

/** Back to podman's shape for the JSON result: one entry per forward. */
export function toMappings(forwards: readonly PortForward[]): PortMapping[] {
  return forwards.map((f) => ({
    host_ip: f.hostIp,
    container_port: f.containerPort,
    host_port: f.hostPort,
    range: f.range,
    protocol: f.proto,
  }));
}

/** pasta spec `[hostip/]H1[-H2]:C1[-C2]` (pasta(1) "-t SPEC"). */
export function pastaSpec(f: PortForward): string {
  const addr = f.hostIp === '' ? '' : `${f.hostIp}/`;
  if (f.range <= 1) return `${addr}${f.hostPort}:${f.containerPort}`;
  return `${addr}${f.hostPort}-${f.hostPort + f.range - 1}:${f.containerPort}-${f.containerPort + f.range - 1}`;
}

/** One slirp4netns host forward: its API has no ranges, so ranges are expanded. */
export interface HostFwd {
  proto: 'tcp' | 'udp';
  host_addr: string;
  host_port: number;
  guest_port: number;
}

export function slirpHostFwds(forwards: readonly PortForward[]): HostFwd[] {
  const out: HostFwd[] = [];
  for (const f of forwards) {
    if (f.hostIp !== '' && !Address4.isValid(f.hostIp)) {
      throw new ConfigError(
        `host_ip "${f.hostIp}": slirp4netns publishes ports on IPv4 addresses only (use --backend pasta for IPv6)`,
      );
    }
    for (let i = 0; i < f.range; i++) {
      out.push({ proto: f.proto, host_addr: f.hostIp === '' ? '0.0.0.0' : f.hostIp, host_port: f.hostPort + i, guest_port: f.containerPort + i });
    }
  }
  return out;
}

/** Same forward (protocol + host side), used to find what to remove and to refuse duplicates. */
export function sameHostSide(a: HostFwd, b: HostFwd): boolean {
  return a.proto === b.proto && a.host_addr === b.host_addr && a.host_port === b.host_port;
}
