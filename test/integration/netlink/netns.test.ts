// Namespace handles, runInNetns, sockets opened inside a namespace, sysctls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, needRoot, type Netns } from '../../helpers/sandbox.js';
import { ConfigError } from '../../../src/lib/errors.js';
import { openNetlinkIn, openNetns, runInNetns, sameNetns, type NetnsHandle } from '../../../src/netlink/netns.js';
import { SysctlError, readSysctl, writeSysctl } from '../../../src/netlink/sysctl.js';

const SELF = '/proc/thread-self/ns/net';
const selfIno = (): number => statSync(SELF).ino;

function rejectsInvalid(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `ConfigError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('netns', { skip: needRoot }, () => {
  let ns: Netns;
  let other: Netns;
  let h: NetnsHandle;
  let dir: string;
  const home = selfIno();
  before(() => {
    ns = createNetns('sknsa');
    other = createNetns('sknsb');
    h = openNetns(ns.path);
    dir = mkdtempSync(join(tmpdir(), 'skiff-netns-'));
  });
  after(() => {
    h?.close();
    ns?.destroy();
    other?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('openNetns on a missing path: ConfigError with the path, cause ENOENT', () => {
    assert.throws(() => openNetns('/run/netns/sk-does-not-exist'), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, 'invalid namespace path: IO error: No such file or directory (os error 2)');
      assert.equal((e.cause as NodeJS.ErrnoException).code, 'ENOENT');
      return true;
    });
  });

  test('openNetns on a regular file or a directory: not a network namespace', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    rejectsInvalid(() => openNetns(file), 'invalid namespace path: not a network namespace');
    rejectsInvalid(() => openNetns(dir), 'invalid namespace path: not a network namespace');
  });

  test('a namespace of another type fails on entry: not a network namespace', () => {
    const uts = openNetns('/proc/self/ns/uts');
    try {
      rejectsInvalid(() => runInNetns(uts, () => 1), 'invalid namespace path: not a network namespace');
      assert.equal(selfIno(), home);
    } finally {
      uts.close();
    }
  });

  test('runInNetns: runs inside, returns the value, always comes back', () => {
    const inside = runInNetns(h, () => selfIno());
    assert.equal(inside, statSync(ns.path).ino);
    assert.equal(selfIno(), home);
    assert.throws(() => runInNetns(h, () => { throw new Error('boom'); }), /boom/);
    assert.equal(selfIno(), home, 'back home after a throw');
    assert.throws(() => runInNetns(h, () => Promise.resolve(1)), /must be synchronous/);
    assert.equal(selfIno(), home);
  });

  test('runInNetns + writeSysctl: the write lands in that namespace only', () => {
    const hostBefore = readSysctl('net/ipv4/ip_forward');
    assert.equal(other.sysctl('net/ipv4/ip_forward'), '0');
    const r = runInNetns(h, () => [writeSysctl('net/ipv4/ip_forward', '1'), writeSysctl('net/ipv4/ip_forward', '1')]);
    assert.deepEqual(r, ['changed', 'unchanged']);
    assert.equal(ns.sysctl('net/ipv4/ip_forward'), '1');
    assert.equal(other.sysctl('net/ipv4/ip_forward'), '0');
    assert.equal(readSysctl('net/ipv4/ip_forward'), hostBefore);
    assert.equal(runInNetns(h, () => readSysctl('net/ipv4/conf/lo/arp_notify')), '0');
  });

  test('sysctl errors carry the key and errno', () => {
    assert.throws(() => runInNetns(h, () => writeSysctl('net/ipv4/conf/sk-nope/arp_notify', '1')), (e: unknown) => {
      assert.ok(e instanceof SysctlError);
      assert.equal(e.key, 'net/ipv4/conf/sk-nope/arp_notify');
      assert.equal(e.errno, 'ENOENT');
      assert.equal(e.message, 'failed to set sysctl net/ipv4/conf/sk-nope/arp_notify to 1: No such file or directory (os error 2)');
      return true;
    });
    assert.throws(() => readSysctl('net/ipv4/sk-nope'), (e: unknown) => {
      assert.ok(e instanceof SysctlError);
      assert.equal(e.errno, 'ENOENT');
      assert.equal(e.message, 'failed to read sysctl net/ipv4/sk-nope: No such file or directory (os error 2)');
      return true;
    });
    assert.throws(() => readSysctl('../etc/passwd'), (e: unknown) => e instanceof SysctlError && e.errno === 'EINVAL');
    assert.throws(() => writeSysctl('net.ipv4.ip_forward', '1'), (e: unknown) => e instanceof SysctlError && e.errno === 'ENOENT');
  });

  test('openNetlinkIn: the socket sees that namespace and keeps working after we switch back', async () => {
    ns.sh('ip', ['link', 'add', 'skbr7', 'type', 'bridge']);
    const nl = await openNetlinkIn(h);
    try {
      assert.equal(selfIno(), home);
      const names = (await nl.links()).map((l) => l.name).sort();
      assert.deepEqual(names, ['lo', 'skbr7']);
      await nl.setUp(1);
      assert.ok(ns.ipJson<{ flags: string[] }[]>(['link', 'show', 'lo'])[0]?.flags.includes('UP'));
    } finally {
      nl.close();
    }
  });

  test('sameNetns compares namespaces, not paths', () => {
    assert.equal(sameNetns(ns.path, ns.path), true);
    assert.equal(sameNetns(ns.path, other.path), false);
    assert.equal(sameNetns(SELF, '/proc/self/ns/net'), true);
  });

  test('close() is idempotent', () => {
    const x = openNetns(other.path);
    x.close();
    x.close();
  });
});
