// Tiny TCP/UDP echo used by the firewall integration tests, run inside test
// namespaces. The server answers "<message>|<client address>|<local port>", so a
// test sees both where it landed and which source address survived NAT.
//   node echo.js serve <port,port,...>             (tcp+udp on ::, prints "ready")
//   node echo.js connect <tcp|udp> <addr> <port> <message>   (prints the reply; exit 1 on failure)
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';

const TIMEOUT_MS = 1500;
const plain = (a: string | undefined): string => (a ?? '?').replace(/^::ffff:/, '');

function serve(ports: number[]): void {
  let pending = ports.length * 2;
  const ready = () => {
    if (--pending === 0) process.stdout.write('ready\n');
  };
  for (const port of ports) {
    createServer((s) => {
      s.once('data', (d) => s.end(`${d.toString().trim()}|${plain(s.remoteAddress)}|${port}`));
      s.on('error', () => {});
    }).listen({ port, host: '::', ipv6Only: false }, ready);
    const u = createSocket({ type: 'udp6', ipv6Only: false });
    u.on('message', (m, r) => u.send(`${m.toString().trim()}|${plain(r.address)}|${port}`, r.port, r.address));
    u.bind(port, '::', ready);
  }
}

function client(proto: string, addr: string, port: number, msg: string): void {
  const fail = (why: string) => {
    process.stderr.write(`${proto} ${addr}:${port}: ${why}\n`);
    process.exit(1);
  };
  const timer = setTimeout(() => fail('timeout'), TIMEOUT_MS);
  if (proto === 'tcp') {
    const s = connect({ host: addr, port }, () => s.write(msg));
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('end', () => {
      clearTimeout(timer);
      process.stdout.write(out + '\n');
      process.exit(0);
    });
    s.on('error', (e) => fail(e.message));
  } else {
    const u = createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    u.on('message', (m) => {
      clearTimeout(timer);
      process.stdout.write(m.toString() + '\n');
      process.exit(0);
    });
    u.on('error', (e) => fail(e.message));
    u.send(msg, port, addr);
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve') serve((rest[0] ?? '').split(',').map(Number));
else if (mode === 'connect') client(rest[0] ?? 'tcp', rest[1] ?? '', Number(rest[2]), rest[3] ?? 'hi');
else {
  process.stderr.write('usage: echo.js serve <ports> | connect <proto> <addr> <port> <msg>\n');
  process.exit(2);
}
