// The client→skiffd request format (src/daemon/protocol.ts); the C client writes the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, frameLength, parseRequest, ProtocolError } from '../../../src/daemon/protocol.js';
import { daemonDir, socketName } from '../../../src/daemon/paths.js';

const runFields = ['run', 'b1', '1', '2', '3', '18', '/tmp', '2', 'setup', '/run/netns/x', '2', 'A=1', 'B=x=y'];

test('a run request parses into build, namespaces, umask, cwd, args and env', () => {
  const f = encodeFrame(runFields);
  assert.equal(frameLength(f), f.length);
  assert.deepEqual(parseRequest(f), {
    kind: 'run',
    build: 'b1',
    ns: { user: 1, mnt: 2, net: 3 },
    umask: 18,
    cwd: '/tmp',
    args: ['setup', '/run/netns/x'],
    env: { A: '1', B: 'x=y' },
  });
});

test('frame length is known once the 8-byte header is in, whatever the split', () => {
  const f = encodeFrame(runFields);
  for (let cut = 0; cut < 8; cut++) assert.equal(frameLength(f.subarray(0, cut)), undefined);
  for (let cut = 8; cut <= f.length; cut++) assert.equal(frameLength(f.subarray(0, cut)), f.length);
});

test('control requests carry only their kind', () => {
  assert.deepEqual(parseRequest(encodeFrame(['status'])), { kind: 'status' });
  assert.deepEqual(parseRequest(encodeFrame(['stop'])), { kind: 'stop' });
});

test('malformed requests are refused with a reason', () => {
  assert.throws(() => frameLength(Buffer.from('HTTP/1.1 ')), ProtocolError);
  const huge = Buffer.from('SKD1\0\0\0\x7f');
  assert.throws(() => frameLength(huge), /too large/);
  assert.throws(() => parseRequest(encodeFrame(['run', 'b1', '1'])), /truncated request/);
  assert.throws(() => parseRequest(encodeFrame(['run', 'b1', '1', '2', 'x', '18', '/', '0', '0'])), /bad net ns/);
  assert.throws(() => parseRequest(encodeFrame([...runFields, 'extra'])), /trailing/);
  assert.throws(() => parseRequest(encodeFrame(['exec'])), /unknown request kind/);
});

test('socket directory and name: per uid, keyed by the user, mount and network namespace inodes', () => {
  assert.equal(daemonDir({}, 0), '/run/skiff');
  assert.equal(daemonDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000), '/run/user/1000/skiff');
  assert.equal(daemonDir({}, 1000), undefined);
  assert.equal(daemonDir({ SKIFF_DAEMON_DIR: '/x' }, 1000), '/x');
  assert.equal(socketName({ user: 1, mnt: 2, net: 3 }), 'skiffd-1-2-3.sock');
});
