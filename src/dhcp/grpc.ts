// netavark's DHCP proxy protocol (nv:src/proto/proxy.proto) for @grpc/grpc-js:
// the same package, service, message and field names and numbers, so netavark
// and Skiff can talk to each other's proxy. `container_id` (8) is the field
// newer netavark added for the DHCP client id.
//
// The .proto text lives here, not in a file beside the bundle, and is parsed
// with protobufjs (what @grpc/proto-loader uses) on first use. The gRPC
// packages are required lazily and stay outside the bundle: only the proxy
// and DHCP networks pay for loading them.
import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';

export const PROXY_PROTO = `
syntax = "proto3";
package netavark_proxy;

service NetavarkProxy {
  rpc Setup(NetworkConfig) returns (Lease) {}
  rpc Teardown(NetworkConfig) returns (Lease) {}
  rpc Clean(Empty) returns (OperationResponse) {}
}
message NetworkConfig {
  string host_iface = 1;
  string container_iface = 2;
  string container_mac_addr = 3;
  string domain_name = 4;
  string host_name = 5;
  Version version = 6;
  string ns_path = 7;
  string container_id = 8;
}
message Lease {
  uint32 t1 = 1;
  uint32 t2 = 2;
  uint32 lease_time = 3;
  uint32  mtu = 4;
  string domain_name = 5;
  string mac_address= 6;
  bool isV6 = 10;
  string siaddr = 11;
  string yiaddr = 12;
  string srv_id = 16;
  string subnet_mask = 17;
  string broadcast_addr = 18;
  repeated string dns_servers = 19;
  repeated string gateways = 20;
  repeated string ntp_servers = 21;
  string host_name = 22;
}
message Empty{}
message OperationResponse {
  bool success = 1;
}
enum Version {
  V4 = 0;
  V6 = 1;
}
message NvIpv4Addr {
  bytes octets = 1;
}
message NvIpv6Addr {
  bytes octets = 1;
}
`;

/** NetworkConfig as decoded (proto-loader: keepCase, defaults, enums as names). */
export interface ProtoNetworkConfig {
  host_iface: string;
  container_iface: string;
  container_mac_addr: string;
  domain_name: string;
  host_name: string;
  version: 'V4' | 'V6' | number;
  ns_path: string;
  container_id: string;
}

export interface ProtoLease {
  t1: number;
  t2: number;
  lease_time: number;
  mtu: number;
  domain_name: string;
  mac_address: string;
  isV6: boolean;
  siaddr: string;
  yiaddr: string;
  srv_id: string;
  subnet_mask: string;
  broadcast_addr: string;
  dns_servers: string[];
  gateways: string[];
  ntp_servers: string[];
  host_name: string;
}

export interface LoadedProto {
  grpc: typeof Grpc;
  service: Grpc.ServiceDefinition;
  Client: Grpc.ServiceClientConstructor;
}

let loaded: LoadedProto | undefined;

export function loadProxyProto(): LoadedProto {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const grpc = require('@grpc/grpc-js') as typeof Grpc;
  const loader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const root = protobuf.parse(PROXY_PROTO, { keepCase: true }).root;
  const def = loader.fromJSON(root.toJSON(), { keepCase: true, defaults: true, enums: String, longs: Number, arrays: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { netavark_proxy: { NetavarkProxy: Grpc.ServiceClientConstructor } };
  const Client = pkg.netavark_proxy.NetavarkProxy;
  loaded = { grpc, service: Client.service, Client };
  return loaded;
}

export const DEFAULT_PROXY_DIR = '/run/podman';
export const PROXY_SOCKET_NAME = 'nv-proxy.sock';
export const LEASE_CACHE_NAME = 'nv-proxy.lease';

/** The proxy's run dir: netavark's NETAVARK_PROXY_RUN_DIR_ENV, else `dir` (--dir), else /run/podman. */
export function proxyRunDir(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return env.NETAVARK_PROXY_RUN_DIR_ENV || dir || DEFAULT_PROXY_DIR;
}

/**
 * Where setup/teardown find the proxy: SKIFF_DHCP_PROXY_SOCKET, else
 * nv-proxy.sock in the run dir (netavark: always /run/podman/nv-proxy.sock).
 */
export function proxySocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SKIFF_DHCP_PROXY_SOCKET || `${proxyRunDir(undefined, env)}/${PROXY_SOCKET_NAME}`;
}
