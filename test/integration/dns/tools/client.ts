// Raw DNS client for integration tests, run inside a sandbox namespace with a
// JSON job as argv[2]; prints one JSON result. It does what dig cannot: count
// replies, pipeline several queries on one TCP connection with writes split
// at odd places, send garbage, and keep a steady query load while counting
// every lost reply.
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { TcpFramer, frame } from '../../../../dns/tcp-framer.js';

type Job =
  | { mode: 'count'; server: string; src: string; name: string; type: string; waitMs: number }
  | { mode: 'tcp-multi'; server: string; names: string[] }
  | { mode: 'fuzz'; server: string; src: string; n: number; name: string }
  | { mode: 'load'; server: string; src: string; name: string; durationMs: number; intervalMs: number };

const PORT = 53;
const query = (name: string, type = 'A', id = Math.floor(Math.random() * 65536)): Buffer =>
  dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] } as dnsPacket.Packet);

function udpSocket(src: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket(src.includes(':') ? 'udp6' : 'udp4');
    s.bind(0, src, () => resolve(s));
  });
}

async function count(j: Extract<Job, { mode: 'count' }>): Promise<unknown> {
  const s = await udpSocket(j.src);
  const replies: dnsPacket.DecodedPacket[] = [];
  s.on('message', (m) => replies.push(dnsPacket.decode(m)));
  s.send(query(j.name, j.type), PORT, j.server);
  await new Promise((r) => setTimeout(r, j.waitMs));
  s.close();
  return { replies: replies.length, rcode: (replies[0] as { rcode?: string } | undefined)?.rcode, answers: replies[0]?.answers?.map((a) => (a as { data: unknown }).data) };
}

function tcpMulti(j: Extract<Job, { mode: 'tcp-multi' }>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: j.server, port: PORT });
    const framer = new TcpFramer();
    const byId = new Map<number, string>();
    const out: Record<string, unknown> = {};
    sock.on('connect', () => {
      const all = Buffer.concat(
        j.names.map((n, i) => {
          byId.set(i + 1, n);
          return frame(query(n, 'A', i + 1));
        }),
      );
      // split the pipelined stream at odd places, including inside length prefixes
      let off = 0;
      let step = 1;
      while (off < all.length) {
        sock.write(all.subarray(off, off + step));
        off += step;
        step = (step % 7) + 1;
      }
    });
    sock.on('data', (c: Buffer) => {
      for (const m of framer.push(c)) {
        const p = dnsPacket.decode(m);
        out[byId.get(p.id ?? 0) ?? '?'] = p.answers?.map((a) => (a as { data: unknown }).data) ?? [];
      }
      if (Object.keys(out).length === j.names.length) {
        sock.end();
        resolve(out);
      }
    });
    sock.on('error', reject);
    setTimeout(() => reject(new Error(`tcp-multi timeout, got ${JSON.stringify(out)}`)), 5000);
  });
}

async function fuzz(j: Extract<Job, { mode: 'fuzz' }>): Promise<unknown> {
  const s = await udpSocket(j.src);
  let replies = 0;
  let formerr = 0;
  s.on('message', (m) => {
    replies++;
    if ((m[3]! & 0xf) === 1) formerr++;
  });
  const base = query('fuzz.example.com');
  for (let i = 0; i < j.n; i++) {
    let b: Buffer;
    if (i % 3 === 0) b = randomBytes(1 + (i % 300));
    else if (i % 3 === 1) b = base.subarray(0, i % base.length);
    else {
      b = Buffer.from(base);
      b[12 + (i % (b.length - 12))] = randomBytes(1)[0]!;
    }
    s.send(b, PORT, j.server);
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  // TCP garbage: a huge length prefix, random bytes, then a half frame left open
  for (const junk of [Buffer.from([0xff, 0xff, 1, 2, 3]), randomBytes(5000), Buffer.from([0x00])]) {
    await new Promise<void>((resolve) => {
      const t = connect({ host: j.server, port: PORT }, () => {
        t.write(junk);
        setTimeout(() => {
          t.destroy();
          resolve();
        }, 50);
      });
      t.on('error', () => resolve());
    });
  }
  await new Promise((r) => setTimeout(r, 300));
  const after = await count({ mode: 'count', server: j.server, src: j.src, name: j.name, type: 'A', waitMs: 500 });
  s.close();
  return { replies, formerr, after };
}

async function load(j: Extract<Job, { mode: 'load' }>): Promise<unknown> {
  const s = await udpSocket(j.src);
  const outstanding = new Map<number, number>();
  let sent = 0;
  let answered = 0;
  let wrong = 0;
  s.on('message', (m) => {
    const id = m.readUInt16BE(0);
    if (!outstanding.delete(id)) return;
    answered++;
    if ((m[3]! & 0xf) !== 0 || m.readUInt16BE(6) === 0) wrong++;
  });
  const started = Date.now();
  let id = 0;
  while (Date.now() - started < j.durationMs) {
    id = (id + 1) & 0xffff;
    outstanding.set(id, Date.now());
    s.send(query(j.name, 'A', id), PORT, j.server);
    sent++;
    await new Promise((r) => setTimeout(r, j.intervalMs));
  }
  // give the last replies time to arrive (generous: the host may be busy); later counts as lost
  await new Promise((r) => setTimeout(r, 2000));
  s.close();
  return { sent, answered, wrong, lost: outstanding.size };
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const run = { count, 'tcp-multi': tcpMulti, fuzz, load }[job.mode] as (j: Job) => Promise<unknown>;
run(job).then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(e.message + '\n');
    process.exit(1);
  },
);
