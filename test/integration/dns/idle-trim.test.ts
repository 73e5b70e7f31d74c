// An idle skiff-dns gives back what starting Node touched once
// (src/lib/idle-trim.ts, dns/daemon.ts trimWhenQuiet): after a quiet spell its
// RSS drops, a query is answered as before, and a busy server is left alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needRoot } from '../../helpers/sandbox.js';
import { DnsLab } from './lab.js';

const GW = '10.1.0.1';
const C1 = '10.1.0.2';
const rssKb = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('skiff-dns idle trim', { skip: needRoot }, () => {
  let lab: DnsLab;

  before(() => {
    lab = new DnsLab('skit');
    lab.addBridge([`${GW}/24`, `${C1}/24`]);
    lab.write('net1', `${GW}\nc1 ${C1}  c1\n`);
    const r = lab.start({ SKIFF_DNS_IDLE_TRIM_MS: '300', SKIFF_DNS_READER_QPS: 'off' });
    assert.equal(r.code, 0, r.stderr);
  });

  after(() => lab?.destroy());

  test('quiet for a spell: RSS drops by a third or more; the next query is answered', async () => {
    assert.deepEqual(lab.short(GW, C1, 'c1'), [C1]);
    const pid = lab.pid()!;
    const busy = rssKb(pid);
    await sleep(1200); // two whole quiet intervals
    const idle = rssKb(pid);
    assert.ok(idle < busy * 0.67, `RSS ${busy} kB while serving, ${idle} kB after a quiet spell`);
    assert.deepEqual(lab.short(GW, C1, 'c1'), [C1]);
  });

  test('queries in every interval: nothing is dropped while it serves', async () => {
    const pid = lab.pid()!;
    lab.short(GW, C1, 'c1');
    const start = rssKb(pid);
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(lab.short(GW, C1, 'c1'), [C1]);
      await sleep(100);
    }
    // a trim in between would have dropped a third or more (GC may give back a little)
    assert.ok(rssKb(pid) > start * 0.85, `RSS ${start} kB before, ${rssKb(pid)} kB after serving`);
  });
});
