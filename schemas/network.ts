// The Network object as `create` prints it and podman stores it
// in /etc/containers/networks/<name>.json. Keys come out in podman's own order
// (cl:common/libnetwork/types/network.go) and unset fields are left out, which
// podman reads the same as null.

export interface LeaseRange {
  start_ip?: string;
  end_ip?: string;
}

export interface NetworkSubnet {
  subnet: string;
  gateway?: string;
  lease_range?: LeaseRange;
}

export interface NetworkRoute {
  destination: string;
  gateway?: string;
  metric?: number;
  route_type?: string;
}

export interface Network {
  name: string;
  id: string;
  driver: string;
  network_interface?: string;
  created?: string;
  subnets?: NetworkSubnet[];
  routes?: NetworkRoute[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  network_dns_servers?: string[];
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipam_options?: Record<string, string>;
}

const ORDER: readonly (keyof Network)[] = [
  'name',
  'id',
  'driver',
  'network_interface',
  'created',
  'subnets',
  'routes',
  'ipv6_enabled',
  'internal',
  'dns_enabled',
  'network_dns_servers',
  'labels',
  'options',
  'ipam_options',
];

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A plain JSON value with podman's key order and no undefined fields. */
export function serializeNetwork(n: Network): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ORDER) {
    const v = n[key];
    if (v === undefined) continue;
    if (key === 'subnets') {
      out[key] = n.subnets!.map((s) => compact({ subnet: s.subnet, gateway: s.gateway, lease_range: s.lease_range && compact(s.lease_range) }));
    } else if (key === 'routes') {
      out[key] = n.routes!.map((r) => compact({ destination: r.destination, gateway: r.gateway, metric: r.metric, route_type: r.route_type }));
    } else {
      out[key] = v;
    }
  }
  return out;
}
