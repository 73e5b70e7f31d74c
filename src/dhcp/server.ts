// `skiff dhcp-proxy`: netavark's DHCP proxy daemon. A gRPC server on a Unix
// socket (or on fd 3 when systemd socket-activates it), serving the
// NetavarkProxy service over the DhcpProxy. It exits after
// --activity-timeout seconds without a request, but only while it holds no
// lease; SIGINT/SIGTERM remove the socket it bound and exit.
import { mkdirSync, unlinkSync, lstatSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { SkiffError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import { LeaseCache } from './cache.js';
import { LEASE_CACHE_NAME, PROXY_SOCKET_NAME, loadProxyProto, proxyRunDir, type ProtoLease, type ProtoNetworkConfig } from './grpc.js';
import { DhcpProxy, ProxyError } from './proxy.js';

export interface ProxyOptions {
  dir: string | undefined;
  uds: string | undefined;
  /** DORA timeout, seconds */
  timeoutSec: number;
  /** 0 = never exit */
  activityTimeoutSec: number;
  env: NodeJS.ProcessEnv;
  log: Log;
}

export const DEFAULT_DORA_TIMEOUT = 8;
export const DEFAULT_ACTIVITY_TIMEOUT = 300;

function statusCode(grpc: typeof Grpc, e: unknown): Grpc.status {
  if (!(e instanceof ProxyError)) return grpc.status.INTERNAL;
  return grpc.status[e.status];
}

/** Binds the socket; a stale socket file (nobody listening) is replaced, a live one is an error. */
async function listenOn(path: string): Promise<net.Server> {
  mkdirSync(dirname(path), { recursive: true });
  let exists = false;
  try {
    exists = lstatSync(path).isSocket();
  } catch {
    /* absent */
  }
  if (exists) {
    const live = await new Promise<boolean>((resolve) => {
      const c = net.connect(path);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (live) throw new SkiffError(`socket ${path} is in use: is another DHCP proxy running?`);
    unlinkSync(path);
  }
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(path, () => {
      srv.off('error', reject);
      resolve();
    });
  });
  return srv;
}

async function listenOnFd3(): Promise<net.Server> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ fd: 3 }, () => {
      srv.off('error', reject);
      resolve();
    });
  });
  return srv;
}

/** Runs the proxy until it exits; resolves with the exit code. */
export async function runDhcpProxy(o: ProxyOptions): Promise<number> {
  const { log } = o;
  const runDir = proxyRunDir(o.dir, o.env);
  const socketPath = o.uds || join(runDir, PROXY_SOCKET_NAME);
  const activated = o.env.LISTEN_FDS !== undefined && o.env.LISTEN_FDS !== '';
  if (activated && o.env.LISTEN_FDS !== '1') throw new SkiffError('Received more than one FD from systemd');

  mkdirSync(runDir, { recursive: true });
  let cache: LeaseCache;
  try {
    cache = new LeaseCache(join(runDir, LEASE_CACHE_NAME), (m) => log.warn(m));
  } catch (e) {
    throw new SkiffError(`Exiting. Could not create lease cache file: ${(e as Error).message}`);
  }
  const proxy = new DhcpProxy(cache, o.timeoutSec * 1000, log);
  await proxy.resume();

  const { grpc, service } = loadProxyProto();
  const server = new grpc.Server();
  let activityTimer: NodeJS.Timeout | undefined;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));

  const armActivity = () => {
    if (o.activityTimeoutSec <= 0) return;
    if (activityTimer) clearTimeout(activityTimer);
    activityTimer = setTimeout(() => {
      if (proxy.leaseCount === 0) {
        process.stdout.write(`timeout met: exiting after ${o.activityTimeoutSec} secs of inactivity\n`);
        finish(0);
      } else {
        log.debug(`activity timeout met but ${proxy.leaseCount} lease(s) held: staying`);
        armActivity();
      }
    }, o.activityTimeoutSec * 1000);
  };

  const unary =
    <Req, Res>(name: string, fn: (req: Req) => Promise<Res>): Grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      armActivity();
      log.debug(`${name} request`, { request: call.request as unknown as Record<string, unknown> });
      fn(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => {
          log.warn(`${name} failed: ${(e as Error).message}`);
          callback({ code: statusCode(grpc, e), details: (e as Error).message });
        },
      );
    };
  server.addService(service, {
    Setup: unary<ProtoNetworkConfig, ProtoLease>('Setup', (nc) => proxy.setup(nc)),
    Teardown: unary<ProtoNetworkConfig, ProtoLease>('Teardown', (nc) => proxy.teardown(nc)),
    Clean: unary<Record<string, never>, { success: boolean }>('Clean', async () => {
      await proxy.clean();
      return { success: true };
    }),
  });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const listener = activated ? await listenOnFd3() : await listenOn(socketPath);
  listener.on('connection', (c) => {
    // a connecting client is activity: its request may take a moment to arrive
    armActivity();
    injector.injectConnection(c);
  });
  log.info(`dhcp proxy listening on ${activated ? 'fd 3 (socket activation)' : socketPath}`, { leases: proxy.leaseCount });
  armActivity();

  const onSignal = (sig: NodeJS.Signals) => {
    log.warn(`Received ${sig}, cleaning up and exiting`);
    finish(0);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  const code = await done;
  if (activityTimer) clearTimeout(activityTimer);
  listener.close();
  injector.destroy();
  server.forceShutdown();
  await proxy.shutdown();
  // a socket-activated proxy must leave systemd's socket alone
  if (!activated) {
    try {
      unlinkSync(socketPath);
    } catch (e) {
      // closing the listener usually removed it already
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.error(`Could not close uds socket: ${(e as Error).message}`);
    }
  }
  return code;
}
