import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetworkConfig } from '../../../schemas/aardvark-config.js';
import { Backend } from '../../../dns/backend.js';
import { formatIp } from '../../../src/lib/ip.js';
import { resolve, stripSearchDomain, type Decision, type ResolveOptions } from '../../../dns/resolve.js';
import { TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_PTR } from '../../../dns/wire.js';

// three networks: c1 on net1+net2, c2 only net1, c3 only net2, c4 on the internal net3 only
const backend = new Backend([
  parseNetworkConfig('net1', '10.1.0.1,fd01::1 1.1.1.1\nc1 10.1.0.2 fd01::2 one,shared\nc2 10.1.0.3  two,alias2 8.8.8.8\n'),
  parseNetworkConfig('net2', '10.2.0.1\nc1 10.2.0.2  one,shared\nc3 10.2.0.3  three,shared\n'),
  parseNetworkConfig('net3%int', '10.3.0.1\nc4 10.3.0.2  four 9.9.9.9\n'),
]);
const opts: ResolveOptions = { searchDomain: 'dns.podman', noProxy: false, hostServers: ['192.0.2.53'] };
const a = (name: string, type = TYPE_A) => ({ name, type, qclass: 1 });
const ips = (d: Decision): string[] => (d.kind === 'answer' ? d.rdatas.map((b) => formatIp(b)) : [`<${d.kind}>`]);

test('A and AAAA for names and aliases, with or without the search domain', () => {
  assert.deepEqual(ips(resolve(a('two'), '10.1.0.2', '10.1.0.1', backend, opts)), ['10.1.0.3']);
  assert.deepEqual(ips(resolve(a('alias2.dns.podman'), '10.1.0.2', '10.1.0.1', backend, opts)), ['10.1.0.3']);
  assert.deepEqual(ips(resolve(a('one', TYPE_AAAA), '10.1.0.3', '10.1.0.1', backend, opts)), ['fd01::2']);
});

test('name known without an address of that family → NODATA, never forwarded', () => {
  const d = resolve(a('two', TYPE_AAAA), '10.1.0.2', '10.1.0.1', backend, opts);
  assert.deepEqual(d, { kind: 'answer', type: TYPE_AAAA, rdatas: [] });
  const mx = resolve(a('two', 15), '10.1.0.2', '10.1.0.1', backend, opts);
  assert.equal(mx.kind, 'answer');
});

test('scoping: a container sees only names on networks it shares', () => {
  // c2 (net1 only) cannot see c3 (net2 only)
  assert.equal(resolve(a('three.dns.podman'), '10.1.0.3', '10.1.0.1', backend, opts).kind, 'nxdomain');
  assert.equal(resolve(a('three'), '10.1.0.3', '10.1.0.1', backend, opts).kind, 'forward');
  // c1 is on both: sees both, and the shared alias from both networks
  assert.deepEqual(ips(resolve(a('three'), '10.1.0.2', '10.1.0.1', backend, opts)), ['10.2.0.3']);
  assert.deepEqual(ips(resolve(a('shared'), '10.1.0.2', '10.1.0.1', backend, opts)).sort(), ['10.1.0.2', '10.2.0.2', '10.2.0.3']);
  // c3 sees only net2's share of it
  assert.deepEqual(ips(resolve(a('shared'), '10.2.0.3', '10.2.0.1', backend, opts)).sort(), ['10.2.0.2', '10.2.0.3']);
});

test('unknown source is scoped to the listener it reached', () => {
  assert.deepEqual(ips(resolve(a('three'), '10.2.0.1', '10.2.0.1', backend, opts)), ['10.2.0.3']);
  assert.equal(resolve(a('three.dns.podman'), '10.1.0.1', '10.1.0.1', backend, opts).kind, 'nxdomain');
});

test('case-insensitive lookups (the wire parser lower-cases)', () => {
  assert.deepEqual(stripSearchDomain('web.dns.podman', 'dns.podman'), { name: 'web', inDomain: true });
  assert.deepEqual(stripSearchDomain('xdns.podman', 'dns.podman'), { name: 'xdns.podman', inDomain: false });
  assert.deepEqual(stripSearchDomain('dns.podman', 'dns.podman'), { name: '', inDomain: true });
});

test('ANY returns both families', () => {
  const d = resolve(a('one', TYPE_ANY), '10.1.0.3', '10.1.0.1', backend, opts);
  assert.equal(d.kind, 'answer-any');
  if (d.kind === 'answer-any') assert.deepEqual(d.answers.map((x) => x.type), [TYPE_A, TYPE_AAAA]);
});

test('PTR for container addresses in scope; others forwarded', () => {
  const d = resolve(a('3.0.1.10.in-addr.arpa', TYPE_PTR), '10.1.0.2', '10.1.0.1', backend, opts);
  assert.equal(d.kind, 'answer');
  if (d.kind === 'answer') assert.deepEqual(d.rdatas.map((b) => b.toString('latin1')), ['\x03two\x00', '\x06alias2\x00']);
  const v6 = resolve(a('2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.d.f.ip6.arpa', TYPE_PTR), '10.1.0.3', '10.1.0.1', backend, opts);
  assert.equal(v6.kind, 'answer');
  // c3's address is not visible to c2
  assert.equal(resolve(a('3.0.2.10.in-addr.arpa', TYPE_PTR), '10.1.0.3', '10.1.0.1', backend, opts).kind, 'forward');
});

test('upstreams: container servers > network servers > host', () => {
  assert.deepEqual(resolve(a('example.com'), '10.1.0.3', '10.1.0.1', backend, opts), { kind: 'forward', servers: ['8.8.8.8'] });
  assert.deepEqual(resolve(a('example.com'), '10.1.0.2', '10.1.0.1', backend, opts), { kind: 'forward', servers: ['1.1.1.1'] });
  assert.deepEqual(resolve(a('example.com'), '10.2.0.3', '10.2.0.1', backend, opts), { kind: 'forward', servers: ['192.0.2.53'] });
});

test('internal-only containers never forward; no-proxy never forwards', () => {
  assert.equal(resolve(a('example.com'), '10.3.0.2', '10.3.0.1', backend, opts).kind, 'nxdomain');
  assert.deepEqual(ips(resolve(a('four'), '10.3.0.2', '10.3.0.1', backend, opts)), ['10.3.0.2']);
  assert.equal(resolve(a('example.com'), '10.1.0.2', '10.1.0.1', backend, { ...opts, noProxy: true }).kind, 'nxdomain');
});

test('names in the search domain never leak upstream', () => {
  assert.equal(resolve(a('nothere.dns.podman'), '10.1.0.2', '10.1.0.1', backend, opts).kind, 'nxdomain');
  assert.equal(resolve(a('nothere.dns.podman', 16), '10.1.0.2', '10.1.0.1', backend, opts).kind, 'nxdomain');
});

test('no upstream anywhere → forward with no servers (the server answers SERVFAIL)', () => {
  assert.deepEqual(resolve(a('example.com'), '10.2.0.3', '10.2.0.1', backend, { ...opts, hostServers: [] }), { kind: 'forward', servers: [] });
});

test('IPv6 config addresses are matched in canonical form', () => {
  const b = new Backend([parseNetworkConfig('n', 'fd00:0:0::1\nc fd00:0::5 v6 x\n'.replace('fd00:0::5 v6 x', ' fd00:0:0:0::5 x'))]);
  assert.deepEqual(b.bindIps(), ['fd00::1']);
  assert.ok(b.requesters.has('fd00::5'));
});
