import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addLines, removeLines, setNetworkServers } from '../../../src/dns-feed/entries.js';

test('new file gets the header, then the line', () => {
  assert.equal(addLines(undefined, '10.0.0.1', [{ id: 'a', line: 'a 10.0.0.2  web' }]), '10.0.0.1\na 10.0.0.2  web\n');
});

test('existing file keeps its header and other lines; same id is replaced', () => {
  const before = '10.0.0.1 1.1.1.1\na 10.0.0.2  web\nb 10.0.0.3  db\n';
  assert.equal(addLines(before, 'ignored', [{ id: 'A', line: 'a 10.0.0.9  web' }]), '10.0.0.1 1.1.1.1\nb 10.0.0.3  db\na 10.0.0.9  web\n');
});

test('removing the last container means the file goes', () => {
  const f = '10.0.0.1\na 10.0.0.2  web\nb 10.0.0.3  db\n';
  assert.equal(removeLines(f, 'a'), '10.0.0.1\nb 10.0.0.3  db\n');
  assert.equal(removeLines(removeLines(f, 'a')!, 'b'), undefined);
  assert.equal(removeLines(f, 'zzz'), f);
});

test('update rewrites only header column 2', () => {
  const f = '10.0.0.1,fd00::1 8.8.8.8\na 10.0.0.2  web\n';
  assert.equal(setNetworkServers(f, ['1.1.1.1', '9.9.9.9']), '10.0.0.1,fd00::1 1.1.1.1,9.9.9.9\na 10.0.0.2  web\n');
  assert.equal(setNetworkServers(f, []), '10.0.0.1,fd00::1\na 10.0.0.2  web\n');
});
