// A stub upstream DNS server for the e2e tests, run inside the "outside"
// namespace: `node stub-dns.js <listen-ip> <answer-ipv4>`. Names under
// `.test` exist: A gets <answer-ipv4> (TTL 60), other types an empty NOERROR.
// Every other name is NXDOMAIN. It prints "ready" once bound and one line per
// query ("<client> <type> <name>").
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

const [listen, answer] = process.argv.slice(2);
if (!listen || !answer) {
  process.stderr.write('usage: stub-dns <listen-ip> <answer-ipv4>\n');
  process.exit(2);
}
const sock = createSocket(listen.includes(':') ? 'udp6' : 'udp4');
sock.on('message', (msg, rinfo) => {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(msg);
  } catch {
    return; // not DNS: ignore
  }
  const question = q.questions?.[0];
  if (!question) return;
  process.stdout.write(`${rinfo.address} ${question.type} ${question.name}\n`);
  const exists = question.name.toLowerCase().replace(/\.$/, '').endsWith('.test');
  const NXDOMAIN = 3; // rcode: the low 4 bits of the flags word
  const reply = dnsPacket.encode({
    type: 'response',
    id: q.id ?? 0,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (exists ? 0 : NXDOMAIN),
    questions: [question],
    answers: exists && question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 60, data: answer }] : [],
  });
  sock.send(reply, rinfo.port, rinfo.address);
});
sock.bind(53, listen, () => process.stdout.write('ready\n'));
