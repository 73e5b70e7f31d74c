import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deriveUserns } from '../../../src/rootless/app.js';
import { stateDir, statePaths } from '../../../src/rootless/state.js';

describe('deriveUserns', () => {
  const links: Record<string, string> = { '/proc/self/ns/user': 'user:[1]', '/proc/42/ns/user': 'user:[2]', '/proc/7/ns/user': 'user:[1]' };
  const readlink = (p: string): string => {
    const v = links[p];
    if (v === undefined) throw new Error('ENOENT');
    return v;
  };
  it('joins the user namespace of the process named in /proc/PID/ns/net when it is not ours', () => {
    assert.equal(deriveUserns('/proc/42/ns/net', readlink), '/proc/42/ns/user');
    assert.equal(deriveUserns('/proc/42/task/43/ns/net', readlink), '/proc/42/ns/user');
  });
  it('stays out when it is ours, unknown, or not a /proc path', () => {
    assert.equal(deriveUserns('/proc/7/ns/net', readlink), undefined);
    assert.equal(deriveUserns('/proc/99/ns/net', readlink), undefined);
    assert.equal(deriveUserns('/run/user/1000/netns/x', readlink), undefined);
  });
});

describe('state paths', () => {
  it('uses --config, else XDG_RUNTIME_DIR/skiff, else explains', () => {
    assert.equal(stateDir('/tmp/x', {}), '/tmp/x');
    assert.equal(stateDir(undefined, { XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/skiff');
    assert.throws(() => stateDir(undefined, {}), /pass --config DIR or set XDG_RUNTIME_DIR/);
  });
  it('keys files by netns path, stable and distinct', () => {
    const a = statePaths('/s', '/proc/1/ns/net');
    assert.deepEqual(statePaths('/s', '/proc/1/ns/net'), a);
    assert.notEqual(statePaths('/s', '/proc/2/ns/net').record, a.record);
    assert.match(a.apiSocket, /^\/s\/rootless\/[0-9a-f]{16}\.sock$/);
  });
  it('refuses a state dir too long for a unix socket', () => {
    assert.throws(() => statePaths('/' + 'x'.repeat(100), '/n'), /too long for a unix socket path/);
  });
});
