// Talking to a running skiffd from Node: `skiff daemon status|stop`.
import { connect } from 'node:net';
import { join } from 'node:path';
import { daemonDir, nsKeyOf, socketName, SYSTEMD_SOCKET } from './paths.js';
import { encodeFrame } from './protocol.js';

/** The socket of the daemon serving this process' namespaces; undefined when there can be none. */
export function ownSocket(env: NodeJS.ProcessEnv): string | undefined {
  const dir = daemonDir(env, process.getuid?.() ?? 0);
  return dir === undefined ? undefined : join(dir, socketName(nsKeyOf('self')));
}

/** The sockets bin/skiff-client would try, in its order: ours, then (root, default dir) systemd's. */
export function candidateSockets(env: NodeJS.ProcessEnv): string[] {
  const own = ownSocket(env);
  const all = own === undefined ? [] : [own];
  if (!env.SKIFF_DAEMON_DIR && process.getuid?.() === 0) all.push(SYSTEMD_SOCKET);
  return all;
}

/** Sends a control request; resolves with the reply line, or undefined when no daemon answers. */
export function control(socket: string, kind: 'status' | 'stop', timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let data = '';
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    s.on('connect', () => s.write(encodeFrame([kind])));
    s.on('data', (b: Buffer) => {
      data += b.toString('utf8');
      const nl = data.indexOf('\n');
      if (nl >= 0) done(data.slice(0, nl));
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}
