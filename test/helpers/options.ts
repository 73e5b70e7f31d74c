// Builders for NetworkOptions inputs, shaped exactly like Podman's.
import { randomBytes } from 'node:crypto';

export interface NetSpec {
  name: string;
  bridge: string;
  subnets: { subnet: string; gateway?: string }[];
  internal?: boolean;
  dns?: boolean;
  options?: Record<string, string>;
  routes?: unknown[];
  driver?: string;
  network_dns_servers?: string[];
}

export interface AttachSpec {
  net: NetSpec;
  ips: string[];
  iface?: string;
  mac?: string;
  aliases?: string[];
  options?: Record<string, string>;
}

export function networkInfo(n: NetSpec): Record<string, unknown> {
  return {
    name: n.name,
    id: randomBytes(32).toString('hex'),
    driver: n.driver ?? 'bridge',
    network_interface: n.bridge,
    created: '2026-11-29T07:08:07.97142768Z',
    subnets: n.subnets,
    ipv6_enabled: n.subnets.some((s) => s.subnet.includes(':')),
    internal: n.internal ?? false,
    dns_enabled: n.dns ?? false,
    ...(n.network_dns_servers ? { network_dns_servers: n.network_dns_servers } : {}),
    ...(n.routes ? { routes: n.routes } : {}),
    ...(n.options ? { options: n.options } : {}),
    ipam_options: { driver: 'host-local' },
  };
}

const ids = new Map<NetSpec, Record<string, unknown>>();
/** Same network object (same id) every time it is used. */
function infoFor(n: NetSpec): Record<string, unknown> {
  let info = ids.get(n);
  if (!info) ids.set(n, (info = networkInfo(n)));
  return info;
}

export function options(
  name: string,
  attachments: AttachSpec[],
  extra: { port_mappings?: unknown[]; dns_servers?: string[]; container_id?: string } = {},
): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  const info: Record<string, unknown> = {};
  attachments.forEach((a, i) => {
    networks[a.net.name] = {
      static_ips: a.ips,
      interface_name: a.iface ?? `eth${i}`,
      ...(a.mac ? { static_mac: a.mac } : {}),
      ...(a.aliases ? { aliases: a.aliases } : {}),
      ...(a.options ? { options: a.options } : {}),
    };
    info[a.net.name] = infoFor(a.net);
  });
  return {
    container_id: extra.container_id ?? randomBytes(32).toString('hex'),
    container_name: name,
    networks,
    network_info: info,
    ...(extra.port_mappings ? { port_mappings: extra.port_mappings } : {}),
    ...(extra.dns_servers ? { dns_servers: extra.dns_servers } : {}),
  };
}
