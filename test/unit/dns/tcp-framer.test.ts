import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpFramer, frame } from '../../../dns/tcp-framer.js';

const msgs = [Buffer.from('first message'), Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(300, 7)];
const stream = Buffer.concat(msgs.map(frame));

test('whole stream in one chunk gives every message', () => {
  assert.deepEqual(new TcpFramer().push(stream), msgs);
});

test('split at every byte (two chunks) gives the same messages', () => {
  for (let i = 0; i <= stream.length; i++) {
    const f = new TcpFramer();
    const got = [...f.push(stream.subarray(0, i)), ...f.push(stream.subarray(i))];
    assert.deepEqual(got, msgs, `split at ${i}`);
    assert.equal(f.buffered, 0);
  }
});

test('one byte at a time', () => {
  const f = new TcpFramer();
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) got.push(...f.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got, msgs);
});

test('a partial frame is held, not emitted', () => {
  const f = new TcpFramer();
  assert.deepEqual(f.push(Buffer.from([0, 10, 1, 2])), []);
  assert.equal(f.buffered, 4);
});
