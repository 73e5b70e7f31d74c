import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../dns/args.js';
import { parseResolvConf } from '../../../dns/resolv-conf.js';

test('args: aardvark-dns flag styles', () => {
  assert.deepEqual(parseArgs(['--config', '/d', '-p', '53', 'run']), { command: 'run', config: '/d', port: 53, searchDomain: 'dns.podman' });
  assert.deepEqual(parseArgs(['-c/d', '--port=54', '-f', '.Dns.Podman.', 'run']), { command: 'run', config: '/d', port: 54, searchDomain: 'dns.podman' });
  assert.equal(parseArgs(['version']).command, 'version');
  assert.equal(parseArgs([]).command, 'help');
  assert.throws(() => parseArgs(['-p', 'x', 'run']), UsageError);
  assert.throws(() => parseArgs(['-p', '70000', 'run']), /invalid port "70000"/);
  assert.throws(() => parseArgs(['walk']), /unknown command "walk"/);
});

test('resolv.conf: comments, zones, bad lines become warnings', () => {
  const r = parseResolvConf(
    '# generated\nsearch example.com\nnameserver 192.0.2.1 ; trailing\nnameserver fe80::1%eth0\nnameserver not-an-ip\nnameserver\nnameserver 192.0.2.1\noptions ndots:2\n',
  );
  assert.deepEqual(r.servers, ['192.0.2.1', 'fe80::1%eth0']);
  assert.equal(r.warnings.length, 2);
});

test('resolv.conf: more than 3 servers are kept (aardvark stops at 3)', () => {
  const r = parseResolvConf([1, 2, 3, 4].map((i) => `nameserver 192.0.2.${i}`).join('\n'));
  assert.equal(r.servers.length, 4);
});
