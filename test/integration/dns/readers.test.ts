// skiff-dns' second UDP reader (dns/readers.ts, dns/reader-thread.ts): both
// threads answer from the same records, reloads reach both before they are
// announced, a network going away frees its address for a new bind, and in
// auto mode the reader starts under load and ends when it is gone. The rest
// of skiff-dns' behaviour with a reader is resolution.test.ts' second pass.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { needRoot, waitFor } from '../../helpers/sandbox.js';
import { DnsLab } from './lab.js';

const GW1 = '10.1.0.1';
const GW2 = '10.2.0.1';
const C1 = '10.1.0.2';
const C2 = '10.2.0.2';
const NET1 = `${GW1}\nc1 ${C1}  c1\n`;
const NET2 = `${GW2}\nc2 ${C2}  c2\n`;

interface Stats {
  udp: number;
  readerThreads: number;
  readerActive: boolean;
  readerLive: number;
  readerQueries: number;
}

async function stats(lab: DnsLab): Promise<Stats> {
  const path = `${lab.dir}.stats`;
  const before = (() => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  })();
  process.kill(lab.pid()!, 'SIGUSR1');
  let text = before;
  await waitFor(() => {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return false;
    }
    return text !== before;
  }, 5000, 20);
  return JSON.parse(text) as Stats;
}

async function until(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await fn()) return true;
  return false;
}

/** Sockets bound to ip:53 in the lab's namespace (UDP), from /proc/net/udp as the namespace sees it. */
function udpBound(lab: DnsLab, ip: string): number {
  const hex = ip.split('.').reverse().map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0')).join('');
  const table = lab.host.run('cat', ['/proc/net/udp']).stdout;
  return table.split('\n').filter((l) => l.includes(`${hex}:0035`)).length;
}

describe('skiff-dns reader thread', { skip: needRoot }, () => {
  let lab: DnsLab;

  before(() => {
    lab = new DnsLab('skrd');
    lab.addBridge([`${GW1}/24`, `${C1}/24`]);
    lab.addBridge([`${GW2}/24`, `${C2}/24`]);
    lab.write('net1', NET1);
    lab.write('net2', NET2);
    const r = lab.start({ SKIFF_DNS_READER_QPS: '0' });
    assert.equal(r.code, 0, r.stderr);
  });

  after(() => lab?.destroy());

  test('started with the server (SKIFF_DNS_READER_QPS=0); both threads answer, none wrongly', async () => {
    assert.equal(await until(async () => (await stats(lab)).readerActive, 5000), true, 'reader running');
    const r = lab.client<{ sent: number; answered: number; wrong: number; lost: number }>({ mode: 'load', server: GW1, src: C1, name: 'c1', durationMs: 1500, intervalMs: 1 });
    assert.ok(r.sent > 100, JSON.stringify(r));
    assert.equal(r.lost, 0, JSON.stringify(r));
    assert.equal(r.wrong, 0, JSON.stringify(r));
    const s = await stats(lab);
    assert.ok(s.readerQueries > 0 && s.readerQueries < s.udp, JSON.stringify(s));
  });

  test('a reload is announced only once the reader answers from it too', async () => {
    for (let i = 0; i < 5; i++) {
      lab.write('net1', `${NET1}n${i} 10.1.0.${10 + i}  n${i}\n`);
      await lab.reload();
      // every query right after the announcement, whichever thread takes it
      const answers = new Set(Array.from({ length: 8 }, () => lab.short(GW1, C1, `n${i}`).join(',')));
      assert.deepEqual([...answers], [`10.1.0.${10 + i}`]);
    }
  });

  test('a network that goes away frees its address; when it comes back, both threads serve it', async () => {
    lab.remove('net2');
    await lab.reload();
    assert.equal(udpBound(lab, GW2), 0, 'no copy of the socket is left open');
    assert.equal(lab.status(GW2, C2, 'c2'), 'TIMEOUT');
    lab.write('net2', NET2);
    await lab.reload();
    assert.equal(udpBound(lab, GW2), 1);
    const r = lab.client<{ sent: number; answered: number; wrong: number; lost: number }>({ mode: 'load', server: GW2, src: C2, name: 'c2', durationMs: 1000, intervalMs: 1 });
    assert.equal(r.lost, 0, JSON.stringify(r));
    assert.equal(r.wrong, 0, JSON.stringify(r));
  });
});

describe('skiff-dns reader thread, auto mode', { skip: needRoot }, () => {
  let lab: DnsLab;

  before(() => {
    lab = new DnsLab('skra');
    lab.addBridge([`${GW1}/24`, `${C1}/24`]);
    lab.write('net1', NET1);
    const r = lab.start({ SKIFF_DNS_READER_QPS: '200', SKIFF_DNS_READER_IDLE_MS: '1000' });
    assert.equal(r.code, 0, r.stderr);
  });

  after(() => lab?.destroy());

  test('an idle server has no reader; one starts under load and ends after it', async () => {
    assert.deepEqual(lab.short(GW1, C1, 'c1'), [C1]);
    let s = await stats(lab);
    assert.equal(s.readerThreads, 0);
    const fds = (): string[] => readdirSync(`/proc/${lab.pid()}/fd`).sort();
    const fdsBefore = fds();
    const r = lab.client<{ sent: number; answered: number; wrong: number; lost: number }>({ mode: 'load', server: GW1, src: C1, name: 'c1', durationMs: 2000, intervalMs: 1 });
    assert.equal(r.lost, 0, JSON.stringify(r));
    s = await stats(lab);
    assert.equal(s.readerThreads, 1, JSON.stringify(s));
    assert.equal(await until(async () => !(await stats(lab)).readerActive, 10_000), true, 'reader stopped reading');
    // and its thread is gone, not just idle
    assert.equal(await until(async () => (await stats(lab)).readerLive === 0, 5_000), true, 'reader thread exited');
    assert.deepEqual(lab.short(GW1, C1, 'c1'), [C1]);
    // its socket copies and its event loop's descriptors went with it
    assert.deepEqual(fds(), fdsBefore);
  });
});
