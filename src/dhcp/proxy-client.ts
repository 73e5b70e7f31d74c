// setup/teardown's side of the proxy: one gRPC call over the Unix socket,
// errors worded as netavark words them (users and docs grep for the hint
// about the socket unit).
import net from 'node:net';
import type * as Grpc from '@grpc/grpc-js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { loadProxyProto, type ProtoLease, type ProtoNetworkConfig } from './grpc.js';

/** DORA takes up to the proxy's timeout (8 s by default); leave room for a slow server. */
const CALL_DEADLINE_MS = 60_000;

const IO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory (os error 2)',
  ECONNREFUSED: 'Connection refused (os error 111)',
  EACCES: 'Permission denied (os error 13)',
};

/** Connects once to see that someone listens; grpc-js would only say "No connection established". */
async function probe(path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve();
    });
    c.once('error', (e: NodeJS.ErrnoException) => {
      const text = IO_TEXT[e.code ?? ''] ?? e.message;
      const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ', is the netavark-dhcp-proxy.socket unit enabled?' : '';
      reject(new SkiffError(`socket "${path}": ${text}${hint}`, { code: ErrorCode.SKIFF_ERR_DHCP_PROXY }));
    });
  });
}

async function call<Req, Res>(path: string, method: 'Setup' | 'Teardown', req: Req): Promise<Res> {
  await probe(path);
  const { grpc, Client } = loadProxyProto();
  const client = new Client(`unix:${path}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<Res>((resolve, reject) => {
      const fn = client[method] as (r: Req, o: Grpc.CallOptions, cb: (e: Grpc.ServiceError | null, res?: Res) => void) => void;
      fn.call(client, req, { deadline: Date.now() + CALL_DEADLINE_MS }, (e, res) => (e ? reject(e) : resolve(res as Res)));
    });
  } finally {
    client.close();
  }
}

function grpcMessage(e: unknown): string {
  const d = (e as Partial<Grpc.ServiceError>).details;
  return d || (e as Error).message;
}

/** Asks the proxy for a lease; errors read `unable to obtain lease: ...` as netavark's do. */
export async function getDhcpLease(path: string, nc: ProtoNetworkConfig): Promise<ProtoLease> {
  try {
    return await call<ProtoNetworkConfig, ProtoLease>(path, 'Setup', nc);
  } catch (e) {
    const msg = e instanceof SkiffError ? e.message : `get DHCP lease: ${grpcMessage(e)}`;
    throw new SkiffError(`unable to obtain lease: ${msg}`, { code: ErrorCode.SKIFF_ERR_DHCP_PROXY, cause: e });
  }
}

/** Tells the proxy to release the lease of `nc.container_mac_addr`. */
export async function releaseDhcpLease(path: string, nc: ProtoNetworkConfig): Promise<void> {
  try {
    await call<ProtoNetworkConfig, ProtoLease>(path, 'Teardown', nc);
  } catch (e) {
    if (e instanceof SkiffError) throw e;
    throw new SkiffError(`drop DHCP lease: ${grpcMessage(e)}`, { code: ErrorCode.SKIFF_ERR_DHCP_PROXY, cause: e });
  }
}
