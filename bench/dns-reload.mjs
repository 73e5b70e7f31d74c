#!/usr/bin/env node
// Reload latency for bench/dns-bench.sh: append a container line to a network
// file, SIGHUP the server, then ask for the new name every 2 ms until a reply
// carries the new address. Queries a server drops while it reloads (aardvark-dns
// rebinds) simply do not count: the time is to the first right answer to any
// of them. Prints "median p90 max" in ms over N rounds.
// Runs inside the bench's namespace (ip netns exec); only ever sends to SERVER.
// Usage: dns-reload.mjs FILE PID SERVER PORT SRC ROUNDS TAG [raw]   (raw: every time, space-separated)
import { appendFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';

const [file, pidArg, server, portArg, src, roundsArg, tag, format] = process.argv.slice(2);
const pid = Number(pidArg);
const port = Number(portArg);
const rounds = Number(roundsArg ?? 30);

function query(id, name) {
  const q = Buffer.alloc(12 + name.length + 2 + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(0x0100, 2);
  q.writeUInt16BE(1, 4);
  q[12] = name.length;
  q.write(name, 13, 'latin1');
  q.writeUInt16BE(1, 14 + name.length);
  q.writeUInt16BE(1, 16 + name.length);
  return q;
}

const s = createSocket('udp4');
await new Promise((r) => s.bind(0, src, r));
let onReply = () => undefined;
s.on('message', (m) => onReply(m));

const times = [];
let id = 1;
for (let i = 0; i < rounds; i++) {
  // 10.89.200.x is never in the base config: the answer comes from the new line only
  const ip = [10, 89, 200, (i % 250) + 1];
  const name = `rl${tag}${i}`;
  appendFileSync(file, `${(0xfe000000 + i).toString(16).padStart(64, '0')} ${ip.join('.')}  ${name}\n`);
  const ours = new Set();
  const t0 = process.hrtime.bigint();
  const took = await new Promise((resolve, reject) => {
    onReply = (m) => {
      if (!ours.has(m.readUInt16BE(0))) return;
      if ((m[3] & 0xf) === 0 && m.readUInt16BE(6) >= 1 && ip.every((x, k) => m[m.length - 4 + k] === x)) {
        clearInterval(tick);
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    };
    const ask = () => {
      if (process.hrtime.bigint() - t0 > 5_000_000_000n) {
        clearInterval(tick);
        reject(new Error(`round ${i}: ${name} not served 5 s after SIGHUP`));
        return;
      }
      id = (id + 1) & 0xffff;
      ours.add(id);
      s.send(query(id, name), port, server);
    };
    const tick = setInterval(ask, 2);
    process.kill(pid, 'SIGHUP');
    ask();
  }).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
  times.push(took);
  onReply = () => undefined;
  await new Promise((r) => setTimeout(r, 20));
}
s.close();
if (format === 'raw') {
  console.log(times.map((t) => t.toFixed(2)).join(' '));
  process.exit(0);
}
times.sort((a, b) => a - b);
const at = (f) => times[Math.min(times.length - 1, Math.floor(times.length * f))].toFixed(2);
console.log(`${at(0.5)} ${at(0.9)} ${times[times.length - 1].toFixed(2)}`);
