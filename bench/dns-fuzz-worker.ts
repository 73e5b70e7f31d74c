// Traffic for bench/dns-fuzz.ts, run inside the sandbox's host namespace
// (`ip netns exec`): one mode per process, a JSON job in argv[3], a JSON
// report on stdout. Only ever sends to the address in the job (a gateway of
// the sandbox).
//   valid      : A queries for a known name at a fixed rate; answered / wrong / lost
//   fuzz-udp   : random and mutated datagrams
//   fuzz-tcp   : connections with garbage, zero-length frames, oversized lengths, half frames
//   slowloris  : connections that send one byte now and then
//   nonreader  : connections that pipeline queries and never read
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';

interface Job {
  server: string;
  src: string;
  port?: number;
  seconds: number;
  count?: number;
  rate?: number;
  name?: string;
  expect?: string;
  conns?: number;
}

const mode = process.argv[2] ?? '';
const job = JSON.parse(process.argv[3] ?? '{}') as Job;
const PORT = job.port ?? 53;

export function query(id: number, name: string, type = 1): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 0) + 1 + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4);
  let off = 12;
  for (const l of labels) {
    q[off++] = l.length;
    off += q.write(l, off, 'ascii');
  }
  q[off++] = 0;
  q.writeUInt16BE(type, off);
  q.writeUInt16BE(1, off + 2);
  return q;
}

const NAMES = ['web', 'web.dns.podman', 'example.com', 'x.example.org', '1.0.96.10.in-addr.arpa'];

/** One hostile datagram or TCP payload. */
function garbage(): Buffer {
  const base = query(randomInt(65536), NAMES[randomInt(NAMES.length)]!, [1, 28, 12, 255, 16, 33][randomInt(6)]);
  switch (randomInt(9)) {
    case 0:
      return randomBytes(randomInt(0, 600));
    case 1: {
      const b = Buffer.from(base);
      for (let i = randomInt(1, 6); i > 0; i--) b[randomInt(b.length)] = randomInt(256);
      return b;
    }
    case 2:
      return base.subarray(0, randomInt(base.length));
    case 3:
      return Buffer.concat([base, randomBytes(randomInt(1, 200))]);
    case 4: {
      // compression loop: the name is a pointer to itself
      const b = Buffer.alloc(18);
      b.writeUInt16BE(randomInt(65536), 0);
      b.writeUInt16BE(1, 4);
      b.writeUInt16BE(0xc00c, 12);
      b.writeUInt32BE(0x00010001, 14);
      return b;
    }
    case 5: {
      // counts that promise far more than is there
      const b = Buffer.from(base);
      b.writeUInt16BE(randomInt(65536), 4 + 2 * randomInt(4));
      return b;
    }
    case 6: {
      // a label longer than the packet
      const b = Buffer.from(base);
      b[12] = 0x3f;
      return b.subarray(0, 20);
    }
    case 7:
      return randomBytes(randomInt(600, 4096));
    default: {
      // a response, not a query (QR set)
      const b = Buffer.from(base);
      b[2] = b[2]! | 0x80;
      return b;
    }
  }
}

const deadline = Date.now() + job.seconds * 1000;
// SIGUSR2 (valid mode): the phase this stream accompanies is over. Caught from the start:
// its default action would end the process before the stream is set up.
let stopAt = deadline;
process.on('SIGUSR2', () => (stopAt = Math.min(stopAt, Date.now())));
const out = (r: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
};

async function valid(): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, job.src, r));
  try {
    // replies come in bursts while we are descheduled: queue them in the kernel (capped by rmem_max)
    s.setRecvBufferSize(8 << 20);
  } catch {
    /* the default */
  }
  const pending = new Map<number, number>();
  let sent = 0;
  let answered = 0;
  let wrong = 0;
  let lost = 0;
  const expect = (job.expect ?? '').split('.').map(Number);
  s.on('message', (m) => {
    const id = m.readUInt16BE(0);
    if (!pending.delete(id)) return; // late or duplicate
    const rcode = m[3]! & 0xf;
    const an = m.readUInt16BE(6);
    const ip = [...m.subarray(m.length - 4)];
    if (rcode === 0 && an >= 1 && ip.every((x, i) => x === expect[i])) answered++;
    else wrong++;
  });
  const template = query(0, job.name ?? 'web');
  let id = 0;
  const rate = job.rate ?? 500;
  const t0 = Date.now();
  let lastSweep = t0;
  process.stderr.write('ready\n');
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const now = Date.now();
      if (now - lastSweep >= 100) {
        lastSweep = now;
        for (const [k, t] of pending) if (now - t > 2000) (pending.delete(k), lost++);
      }
      if (now >= stopAt) {
        clearInterval(tick);
        done();
        return;
      }
      // catch up to rate x elapsed: a late timer (busy host) sends more, not fewer
      const due = Math.min(Math.floor(((now - t0) * rate) / 1000) - sent, Math.max(64, rate / 20));
      for (let i = 0; i < due; i++) {
        id = (id + 1) & 0xffff;
        if (pending.has(id)) (pending.delete(id), lost++);
        pending.set(id, now);
        const q = Buffer.from(template);
        q[0] = id >> 8;
        q[1] = id & 0xff;
        s.send(q, PORT, job.server);
        sent++;
      }
    }, 5);
  });
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2100));
  lost += pending.size;
  out({ sent, answered, wrong, lost, seconds: +seconds.toFixed(1), qps: Math.round(sent / seconds) });
}

async function fuzzUdp(): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, job.src, r));
  s.on('message', () => undefined);
  s.on('error', () => undefined);
  // crypto-random generation costs more than the server's handling: draw a pool once,
  // then send copies with one more byte changed at random (every datagram still differs)
  const pool = Array.from({ length: 8192 }, () => garbage());
  let sent = 0;
  const max = job.count ?? 1e9;
  const rate = job.rate ?? 10000;
  const t0 = Date.now();
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const now = Date.now();
      if (sent >= max || now >= deadline) {
        clearInterval(tick);
        done();
        return;
      }
      const due = Math.min(max - sent, Math.floor(((now - t0) * rate) / 1000) - sent, Math.max(256, rate / 10));
      for (let i = 0; i < due; i++, sent++) {
        const b = Buffer.from(pool[sent & 8191]!);
        if (b.length > 0) b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
        s.send(b, PORT, job.server);
      }
    }, 10);
  });
  s.close();
  out({ sent });
}

function open(): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const c = connect({ host: job.server, port: PORT, localAddress: job.src });
    c.once('connect', () => resolve(c));
    c.once('error', () => resolve(undefined));
  });
}

async function fuzzTcp(): Promise<void> {
  let conns = 0;
  let frames = 0;
  let refusedConns = 0;
  const max = job.count ?? 1e9;
  const one = async (): Promise<void> => {
    const c = await open();
    if (!c) return void refusedConns++;
    c.on('error', () => undefined);
    c.on('data', () => undefined);
    conns++;
    const kind = randomInt(5);
    const parts: Buffer[] = [];
    for (let i = randomInt(1, 20); i > 0; i--) {
      const g = garbage();
      const len = Buffer.alloc(2);
      if (kind === 0) len.writeUInt16BE(0, 0); // zero-length frames
      else if (kind === 1) len.writeUInt16BE(0xffff, 0); // promises 64 KiB, sends little
      else len.writeUInt16BE(Math.min(g.length, 0xffff), 0);
      parts.push(kind === 2 ? g : Buffer.concat([len, g])); // kind 2: no framing at all
      frames++;
    }
    let data = Buffer.concat(parts);
    if (kind === 3) data = data.subarray(0, randomInt(1, data.length)); // half a frame, then close
    c.end(data);
    await new Promise((r) => {
      c.once('close', r);
      setTimeout(() => (c.destroy(), r(undefined)), 2000);
    });
  };
  const workers = Array.from({ length: 16 }, async () => {
    while (conns + refusedConns < max && Date.now() < deadline) await one();
  });
  await Promise.all(workers);
  out({ conns, frames, refusedConns });
}

async function slowloris(): Promise<void> {
  const n = job.conns ?? 100;
  const socks: Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < n; i++) {
    const c = await open();
    if (!c) continue;
    c.on('error', () => undefined);
    c.on('close', () => closedByServer++);
    socks.push(c);
  }
  const t = setInterval(() => {
    for (const c of socks) if (!c.destroyed) c.write(Buffer.from([0]));
  }, 1000);
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())));
  clearInterval(t);
  const open_ = socks.filter((c) => !c.destroyed).length;
  for (const c of socks) c.destroy();
  out({ opened: socks.length, closedByServer, stillOpen: open_ });
}

async function nonreader(): Promise<void> {
  const n = job.conns ?? 20;
  let written = 0;
  let closedByServer = 0;
  const socks: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const c = await open();
    if (!c) continue;
    c.pause(); // never read: replies pile up on the server's side
    c.on('error', () => undefined);
    c.on('close', () => closedByServer++);
    socks.push(c);
  }
  const q = query(1, 'web');
  const framed = Buffer.concat([Buffer.from([0, q.length]), q]);
  const burst = Buffer.concat(Array.from({ length: 256 }, () => framed));
  while (Date.now() < deadline) {
    for (const c of socks) {
      if (c.destroyed || c.writableNeedDrain) continue;
      c.write(burst);
      written += 256;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of socks) c.destroy();
  out({ conns: socks.length, queriesWritten: written, closedByServer });
}

const modes: Record<string, () => Promise<void>> = { valid, 'fuzz-udp': fuzzUdp, 'fuzz-tcp': fuzzTcp, slowloris, nonreader };
const fn = modes[mode];
if (!fn) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
await fn();
