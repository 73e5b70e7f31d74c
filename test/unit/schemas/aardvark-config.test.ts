import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AardvarkConfigError,
  configDigest,
  isConfigFileName,
  parseLoaded,
  parseNetworkConfig,
  serializeContainer,
  serializeHeader,
  serializeLoaded,
} from '../../../schemas/aardvark-config.js';

test('parses header, containers, empty v4/v6 columns and dns servers', () => {
  const cfg = parseNetworkConfig(
    'podman',
    '10.88.0.1,fd00::1 1.1.1.1,8.8.8.8\n' +
      'ABC 10.88.0.2 fd00::2 Web,www\n' +
      'def  fd00::3 v6only\n' +
      'ghi 10.88.0.4  v4only 9.9.9.9\n',
  );
  assert.equal(cfg.network, 'podman');
  assert.equal(cfg.internal, false);
  assert.deepEqual(cfg.bindIps, ['10.88.0.1', 'fd00::1']);
  assert.deepEqual(cfg.dnsServers, ['1.1.1.1', '8.8.8.8']);
  assert.deepEqual(cfg.containers, [
    { id: 'abc', ipv4: ['10.88.0.2'], ipv6: ['fd00::2'], names: ['web', 'www'], dnsServers: [] },
    { id: 'def', ipv4: [], ipv6: ['fd00::3'], names: ['v6only'], dnsServers: [] },
    { id: 'ghi', ipv4: ['10.88.0.4'], ipv6: [], names: ['v4only'], dnsServers: ['9.9.9.9'] },
  ]);
});

test('%int suffix marks an internal network', () => {
  const cfg = parseNetworkConfig('secret%int', '10.1.0.1\nid 10.1.0.2  a\n');
  assert.equal(cfg.network, 'secret');
  assert.equal(cfg.internal, true);
});

test('header-only file and trailing blank lines are fine', () => {
  assert.deepEqual(parseNetworkConfig('n', '10.0.0.1\n\n').containers, []);
});

for (const [name, content, re] of [
  ['too few columns', '10.0.0.1\nid 10.0.0.2 name\n', /n line 2: too few columns/],
  ['bad v4', '10.0.0.1\nid 10.0.0.300  name\n', /line 2: invalid IPv4 address "10.0.0.300"/],
  ['v6 in v4 column', '10.0.0.1\nid fd00::1  name\n', /invalid IPv4 address "fd00::1"/],
  ['bad bind ip', 'nonsense\n', /line 1: invalid bind IP "nonsense"/],
  ['empty file', '', /empty file/],
  ['no names', '10.0.0.1\nid 10.0.0.2  ,\n', /no names given/],
  ['bad dns server', '10.0.0.1\nid 10.0.0.2  a x.y\n', /invalid DNS server "x.y"/],
  ['bad network dns', '10.0.0.1 1.2.3\n', /invalid network DNS server "1.2.3"/],
] as const) {
  test(`rejects: ${name}`, () => {
    assert.throws(() => parseNetworkConfig('n', content), (e: unknown) => e instanceof AardvarkConfigError && re.test(e.message));
  });
}

test('serializers produce what the parser reads', () => {
  const header = serializeHeader(['10.0.0.1', 'fd00::1'], []);
  const line = serializeContainer({ id: 'c1', ipv4: [], ipv6: ['fd00::5'], names: ['a', 'b'], dnsServers: ['1.1.1.1'] });
  assert.equal(header, '10.0.0.1,fd00::1');
  assert.equal(line, 'c1  fd00::5 a,b 1.1.1.1');
  const cfg = parseNetworkConfig('x', `${header}\n${line}\n`);
  assert.deepEqual(cfg.containers[0], { id: 'c1', ipv4: [], ipv6: ['fd00::5'], names: ['a', 'b'], dnsServers: ['1.1.1.1'] });
  assert.equal(serializeHeader(['10.0.0.1'], ['8.8.8.8', '1.1.1.1']), '10.0.0.1 8.8.8.8,1.1.1.1');
});

test('pid file and dot files are not network files', () => {
  assert.equal(isConfigFileName('aardvark.pid'), false);
  assert.equal(isConfigFileName('.tmp'), false);
  assert.equal(isConfigFileName('podman'), true);
});

test('digest ignores listing order and sees any byte change', () => {
  const a = configDigest([{ name: 'a', content: 'x' }, { name: 'b', content: 'y' }]);
  assert.equal(a, configDigest([{ name: 'b', content: 'y' }, { name: 'a', content: 'x' }]));
  assert.notEqual(a, configDigest([{ name: 'a', content: 'x' }, { name: 'b', content: 'y\n' }]));
  assert.notEqual(a, configDigest([{ name: 'ab', content: 'x' }, { name: 'b', content: 'y' }]));
  assert.deepEqual(parseLoaded(serializeLoaded(42, a)), { pid: 42, digest: a });
  assert.equal(parseLoaded('garbage'), undefined);
});
