// Published ports of the rootless netns with slirp4netns: live host forwards
// through its API socket, host port H to the same port H of the netns, where
// Skiff's DNAT takes over (as with pasta). slirp4netns connects from its
// gateway address, so the container does not see the client address.
import { ConfigError, wrap } from '../../lib/errors.js';
import { ErrorCode } from '../../lib/error-codes.js';
import { Address4 } from 'ip-address';
import { toForwards, type HostFwd } from '../ports.js';
import { addHostFwd, call, decodeAdd, decodeRemove, removeHostFwd } from '../slirp-api.js';
import type { PortMapping } from '../../../schemas/port-mapping.js';

/** One same-port forward per published host port (ranges expanded: the API has none). */
export function samePortFwds(mappings: readonly PortMapping[]): HostFwd[] {
  const out: HostFwd[] = [];
  for (const f of toForwards(mappings)) {
    if (f.hostIp !== '' && !Address4.isValid(f.hostIp)) {
      throw new ConfigError(`host_ip "${f.hostIp}": slirp4netns publishes ports on IPv4 addresses only`);
    }
    for (let i = 0; i < f.range; i++) {
      out.push({ proto: f.proto, host_addr: f.hostIp === '' ? '0.0.0.0' : f.hostIp, host_port: f.hostPort + i, guest_port: f.hostPort + i });
    }
  }
  return out;
}

/** Adds every forward or none: on a failure the ones added before are removed again. */
export async function addFwds(socket: string, fwds: readonly HostFwd[]): Promise<(HostFwd & { id: number })[]> {
  const added: (HostFwd & { id: number })[] = [];
  for (const f of fwds) {
    try {
      added.push({ ...f, id: decodeAdd(await call(socket, addHostFwd(f))) });
    } catch (e) {
      await removeFwds(socket, added.map((a) => a.id)).catch(() => undefined);
      throw wrap(`cannot publish ${f.proto} ${f.host_addr}:${f.host_port} through slirp4netns`, e, {
        code: ErrorCode.SKIFF_ERR_SLIRP_API,
        hint: 'The host port may be in use, or below net.ipv4.ip_unprivileged_port_start',
      });
    }
  }
  return added;
}

export async function removeFwds(socket: string, ids: readonly number[]): Promise<void> {
  for (const id of ids) decodeRemove(await call(socket, removeHostFwd(id)));
}
