// The server's second UDP reader, a worker thread (started by dns/readers.ts
// when queries come fast). It reads copies of the main thread's UDP
// descriptors (dup, dns/udp-native.ts), so both threads take datagrams from the same kernel sockets:
// whichever is free takes the next one, and a query no longer waits while the
// other thread is busy, collecting garbage or descheduled. It answers from
// its own record set, loaded from the same config dir whenever the main
// thread says (after each reload, before the main thread announces it).
// Queries for upstream go to the main thread, so one cache and one set of
// upstream sockets serve both (nothing is asked upstream twice because two
// threads saw it). TCP stays on the main thread.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createLog } from '../src/lib/log.js';
import { Backend } from './backend.js';
import { ConfigDir } from './config-dir.js';
import { isReaderInit, isToReader, MAX_HANDOFFS_QUEUED, type FromReader, type ReaderInit, type SyncMessage } from './reader-protocol.js';
import { DnsServer } from './server.js';
import { NativeUdpSocket } from './udp-native.js';

const STATS_MS = 1000;

function runReader(init: ReaderInit): void {
  const port = parentPort!;
  const post = (m: FromReader): void => port.postMessage(m);
  const log = createLog('skiff-dns');
  const handOffs = new Int32Array(init.handOffs);
  let handOffDropped = 0;
  const server = new DnsServer({
    port: init.port,
    searchDomain: init.searchDomain,
    noProxy: init.noProxy,
    hostServers: [], // never asked: whatever would go upstream is handed off
    log,
    handOff: (msg, address, qport, ip) => {
      if (Atomics.load(handOffs, 0) - Atomics.load(handOffs, 1) >= MAX_HANDOFFS_QUEUED) {
        handOffDropped++;
        return;
      }
      Atomics.add(handOffs, 0, 1);
      const query = new Uint8Array(msg); // a copy of just these bytes, moved (not copied again) to the main thread
      port.postMessage({ t: 'forward', query, address, port: qport, ip } satisfies FromReader, [query.buffer]);
    },
  });
  const dir = new ConfigDir(init.dir);
  let backend: Backend | undefined;
  const sockets = new Map<string, NativeUdpSocket>();
  const counters = (): Record<string, number> => ({ ...server.stats, handOffDropped });
  const stats = setInterval(() => post({ t: 'stats', stats: counters() }), STATS_MS);

  const adopt = (ip: string, fd: number): void => {
    const sock = NativeUdpSocket.adopt(fd);
    server.serveUdp(ip, { kind: 'native', sock });
    sockets.set(ip, sock);
  };

  const sync = async (m: SyncMessage): Promise<void> => {
    const errors: string[] = [];
    const adopted: number[] = [];
    const want = new Map(m.sockets.map((s) => [s.ip, s.fd]));
    // closed first: the main thread re-binds a removed network's address only once no copy holds it
    for (const [ip, s] of sockets) {
      if (!want.has(ip) || want.get(ip) !== undefined) {
        sockets.delete(ip);
        s.close();
      }
    }
    try {
      const loaded = dir.load();
      backend = new Backend(loaded.configs, backend);
      server.setBackend(backend);
    } catch (e) {
      errors.push(`reader: cannot read ${init.dir}, keeping the current records: ${(e as Error).message}`);
    }
    for (const [ip, fd] of want) {
      if (fd === undefined) continue;
      try {
        adopt(ip, fd);
        adopted.push(fd);
      } catch (e) {
        errors.push(`reader: cannot read the ${ip} listener: ${(e as Error).message}`);
      }
    }
    post({ t: 'synced', seq: m.seq, adopted, errors });
  };

  let queue = Promise.resolve();
  port.on('message', (m: unknown) => {
    if (!isToReader(m)) return;
    if (m.t === 'stop') {
      // stop reading at once (the main thread reads on, and answers what was handed to it), then end
      for (const s of sockets.values()) s.close();
      sockets.clear();
      clearInterval(stats);
      post({ t: 'stats', stats: counters() });
      server.close();
      port.close();
      return;
    }
    queue = queue.then(() => sync(m));
  });
  post({ t: 'hello' });
}

if (!isMainThread && isReaderInit(workerData)) runReader(workerData);
