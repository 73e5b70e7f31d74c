// A stand-in upstream resolver for tests, run inside a sandbox namespace:
// `node stub-upstream.js <listenIp>=<answerIp> ...`. Every A query gets
// <answerIp> (TTL 60); `*.nx.test` gets NXDOMAIN with an SOA (negative TTL 30);
// TXT `count.stub` returns how many other queries this IP has seen (for cache
// tests). <answerIp> `refuse` answers REFUSED to everything. UDP and TCP on
// port 53. Prints "ready" once bound.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import dnsPacket from 'dns-packet';
import { TcpFramer, frame } from '../../../../dns/tcp-framer.js';

function answer(msg: Buffer, answerIp: string, counter: { n: number }): Buffer | undefined {
  try {
    return answerUnsafe(msg, answerIp, counter);
  } catch (e) {
    process.stderr.write(`stub: ${(e as Error).message}\n`);
    return undefined;
  }
}

function answerUnsafe(msg: Buffer, answerIp: string, counter: { n: number }): Buffer | undefined {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const question = q.questions?.[0];
  if (!question) return undefined;
  const base = { type: 'response' as const, id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: [question] };
  if (question.name === 'count.stub') {
    return dnsPacket.encode({ ...base, answers: [{ type: 'TXT', name: question.name, ttl: 0, data: String(counter.n) }] } as dnsPacket.Packet);
  }
  counter.n++;
  if (answerIp === 'refuse') return dnsPacket.encode({ ...base, flags: base.flags | 5 } as dnsPacket.Packet);
  if (question.name.endsWith('nx.test')) {
    return dnsPacket.encode({
      ...base,
      flags: base.flags | 3, // rcode NXDOMAIN lives in the flags word
      authorities: [
        { type: 'SOA', name: 'test', ttl: 60, data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 } },
      ],
    } as dnsPacket.Packet);
  }
  const answers = question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 60, data: answerIp }] : [];
  return dnsPacket.encode({ ...base, answers } as dnsPacket.Packet);
}

let pending = 0;
for (const pair of process.argv.slice(2)) {
  const [listen = '', answerIp = ''] = pair.split('=');
  const counter = { n: 0 };
  pending += 2;
  const udp = createSocket(listen.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, answerIp, counter);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  udp.bind(53, listen, () => --pending === 0 && process.stdout.write('ready\n'));
  const tcp = createServer((sock) => {
    const framer = new TcpFramer();
    sock.on('data', (chunk: Buffer) => {
      for (const m of framer.push(chunk)) {
        const out = answer(m, answerIp, counter);
        if (out) sock.write(frame(out));
      }
    });
    sock.on('error', () => sock.destroy());
  });
  tcp.listen(53, listen, () => --pending === 0 && process.stdout.write('ready\n'));
}
