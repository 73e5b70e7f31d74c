// A scripted DHCP server for renewal tests (dnsmasq will not hand out leases
// shorter than two minutes). Run inside the LAN namespace:
//   node stub-server.js <server-ip> <plan-json>
// The plan lists the leases to hand out in order: the first DORA gets plan[0];
// a renewal is NAKed when the next plan entry exists (so the client starts
// over and gets it), else ACKed with the same lease. Prints one JSON line per
// message it answers, so the test can follow along.
import dgram from 'node:dgram';
import {
  MessageType,
  Opt,
  decodeDhcp,
  encodeDhcp,
  messageType,
  optIp,
  optU32,
  optU8,
  readText,
  type DhcpMessage,
} from '../../../src/dhcp/packet.js';

interface PlanLease {
  ip: string;
  mask: string;
  gateway: string;
  leaseTime: number;
}

const [serverIp, planText] = process.argv.slice(2);
if (!serverIp || !planText) throw new Error('usage: stub-server <server-ip> <plan-json>');
const plan = JSON.parse(planText) as PlanLease[];
let current = 0;

const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
sock.bind(67, () => sock.setBroadcast(true));

function reply(req: DhcpMessage, type: number, lease: PlanLease | undefined): void {
  const options: [number, Uint8Array][] = [[Opt.MESSAGE_TYPE, optU8(type)], [Opt.SERVER_ID, optIp(serverIp!)]];
  if (lease) {
    options.push(
      [Opt.LEASE_TIME, optU32(lease.leaseTime)],
      [Opt.SUBNET_MASK, optIp(lease.mask)],
      [Opt.ROUTER, optIp(lease.gateway)],
      [Opt.DNS, optIp(serverIp!)],
    );
  }
  const buf = encodeDhcp({ op: 2, xid: req.xid, broadcast: req.broadcast, yiaddr: lease?.ip ?? '0.0.0.0', siaddr: serverIp, chaddr: req.chaddr, options });
  // renewals come from a configured client: answer it directly
  const dest = req.ciaddr !== '0.0.0.0' && type !== MessageType.NAK ? req.ciaddr : '255.255.255.255';
  sock.send(buf, 68, dest);
}

sock.on('message', (buf) => {
  let m: DhcpMessage;
  try {
    m = decodeDhcp(buf);
  } catch {
    return;
  }
  const t = messageType(m);
  const log = (what: string, ip?: string) => process.stdout.write(`${JSON.stringify({ what, ip, mac: m.chaddr, host: readText(m, Opt.HOST_NAME) ?? '' })}\n`);
  const lease = plan[current]!;
  if (t === MessageType.DISCOVER) {
    log('offer', lease.ip);
    reply(m, MessageType.OFFER, lease);
  } else if (t === MessageType.REQUEST) {
    if (m.ciaddr !== '0.0.0.0' && current + 1 < plan.length) {
      current++;
      log('nak', m.ciaddr);
      reply(m, MessageType.NAK, undefined);
    } else {
      log(m.ciaddr !== '0.0.0.0' ? 'renew' : 'ack', lease.ip);
      reply(m, MessageType.ACK, lease);
    }
  } else if (t === MessageType.RELEASE) {
    log('release', m.ciaddr);
  }
});
