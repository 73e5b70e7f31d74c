import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppable, parseSmaps } from '../../../src/lib/idle-trim.js';

const SMAPS = `55d0c0000000-55d0c2a00000 r--p 00000000 08:01 1312 /usr/bin/node
Size:              43008 kB
Rss:               20480 kB
Anonymous:             0 kB
55d0c2a00000-55d0c5000000 r-xp 02a00000 08:01 1312 /usr/bin/node
Rss:               18000 kB
Anonymous:             0 kB
55d0c5000000-55d0c5100000 r--p 05000000 08:01 1312 /usr/bin/node
Rss:                1024 kB
Anonymous:           512 kB
55d0c5100000-55d0c5200000 rw-p 05100000 08:01 1312 /usr/bin/node
Rss:                1024 kB
Anonymous:          1024 kB
7f0000000000-7f0000100000 rw-p 00000000 00:00 0
Rss:                1024 kB
Anonymous:          1024 kB
7f0000100000-7f0000200000 r-xp 00000000 08:01 99 /tmp/old.so (deleted)
Rss:                  64 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r-xp 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                   0 kB
Anonymous:             0 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                  40 kB
Anonymous:            40 kB
7ffd00100000-7ffd00102000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
`;

test('parseSmaps reads each mapping: range, permissions, path, Rss and Anonymous', () => {
  const maps = parseSmaps(SMAPS);
  assert.equal(maps.length, 9);
  assert.deepEqual(maps[0], { start: 0x55d0c0000000, end: 0x55d0c2a00000, perms: 'r--p', path: '/usr/bin/node', rssKb: 20480, anonymousKb: 0 });
  assert.equal(maps[4]!.path, '');
  assert.equal(maps[7]!.path, '[stack]');
});

test('droppable: only read-only private file mappings with resident pages and no copy-on-write page', () => {
  const got = droppable(parseSmaps(SMAPS)).map((m) => `${m.perms} ${m.path}`);
  // not: RELRO (r--p with anonymous pages), data (rw-p), anonymous memory, a deleted file, nothing resident, [vdso], [stack]
  assert.deepEqual(got, ['r--p /usr/bin/node', 'r-xp /usr/bin/node']);
});
