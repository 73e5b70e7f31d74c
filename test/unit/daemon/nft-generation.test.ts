import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppliedBatches, generationRequest, onlyIdempotentAdds, parseGeneration } from '../../../src/daemon/nft-generation.js';
import { encodeMessage, u32 } from '../../../src/netlink/wire.js';

const meta = { metainfo: { json_schema_version: 1 } };
const batch = (...cmds: unknown[]): string => JSON.stringify({ nftables: [meta, ...cmds] });
const el = { element: { family: 'inet', table: 'skiff', name: 'bridges', elem: ['br0'] } };

test('only adds of tables, chains, sets, maps and elements may be skipped', () => {
  assert.equal(onlyIdempotentAdds(batch({ add: el })), true);
  assert.equal(onlyIdempotentAdds(batch({ add: { table: { family: 'inet', name: 'skiff' } } }, { add: { chain: { family: 'inet', table: 'skiff', name: 'c' } } }, { add: el })), true);
  // a rule is appended again by every add; create fails the second time; deletions remove
  assert.equal(onlyIdempotentAdds(batch({ add: { rule: { family: 'inet', table: 'skiff', chain: 'c', expr: [] } } })), false);
  assert.equal(onlyIdempotentAdds(batch({ create: el })), false);
  assert.equal(onlyIdempotentAdds(batch({ add: el }, { delete: el })), false);
  assert.equal(onlyIdempotentAdds(batch({ flush: { set: { family: 'inet', table: 'skiff', name: 'bridges' } } })), false);
  assert.equal(onlyIdempotentAdds(batch({ add: { ...el, table: {} } })), false, 'one object per command');
  assert.equal(onlyIdempotentAdds(batch()), false, 'nothing to apply');
  assert.equal(onlyIdempotentAdds('add element inet skiff bridges { br0 }'), false, 'not JSON');
  assert.equal(onlyIdempotentAdds('{"nftables": 1}'), false);
});

test('the generation request and its answer: NFT_MSG_GETGEN / NFT_MSG_NEWGEN with NFTA_GEN_ID (big-endian)', () => {
  const req = generationRequest(7);
  assert.equal(req.readUInt16LE(4), (10 << 8) | 16);
  assert.equal(req.readUInt32LE(8), 7);
  assert.deepEqual([...req.subarray(16)], [0, 0, 0, 0]);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(0x01020304);
  const attr = u32(1, 0);
  id.copy(attr, 4);
  const reply = encodeMessage((10 << 8) | 15, 0, 7, Buffer.concat([Buffer.from([0, 0, 0, 0]), attr]));
  assert.equal(parseGeneration(reply, 7), 0x01020304);
  assert.equal(parseGeneration(reply, 8), undefined, 'the late answer to an earlier request');
  assert.equal(parseGeneration(encodeMessage(2, 0, 7, Buffer.alloc(20)), 7), undefined, 'an error answer');
  assert.equal(parseGeneration(Buffer.from([1, 2, 3]), 7), undefined);
});

test('a batch is skipped only at the generation at which it applied as a no-op, while nothing committed since', () => {
  const a = new AppliedBatches();
  const b1 = batch({ add: el });
  const b2 = batch({ add: { ...el, element: { ...el.element, elem: ['br1'] } } });
  assert.equal(a.applied(b1, 10), false, 'nothing known');
  a.committed(b1, 10, 11);
  assert.equal(a.applied(b1, 11), false, 'it changed something (or someone else did): not known');
  a.committed(b1, 11, 11);
  assert.equal(a.applied(b1, 11), true, 'applied again as a no-op: all of it is there');
  assert.equal(a.applied(b1, 12), false, 'someone committed since');
  assert.equal(a.applied(b1, 12), false, 'and it stays forgotten');
  a.committed(b1, 12, 12);
  a.committed(b2, 12, 12);
  assert.equal(a.applied(b1, 12), true, 'both known at one generation');
  assert.equal(a.applied(b2, 12), true);
  a.committed(batch({ delete: el }), 12, 13);
  assert.equal(a.applied(b1, 13), false, 'a commit forgets everything');
  a.committed(batch({ add: { rule: { family: 'inet', table: 'skiff', chain: 'c', expr: [] } } }), 13, 13);
  assert.equal(a.applied(b1, 13), false);
  a.committed(b1, undefined, 14);
  assert.equal(a.applied(b1, 14), false, 'no generation before: nothing is known');
  a.committed(b1, 14, undefined);
  assert.equal(a.applied(b1, 14), false, 'none after');
  a.committed(b1, 14, 14);
  assert.equal(a.applied(b1, undefined), false, 'an unreadable generation skips nothing');
  assert.equal(a.applied(b1, 14), false, 'and forgets');
});

test('the set of known batches is bounded', () => {
  const a = new AppliedBatches();
  const b = (i: number): string => batch({ add: { ...el, element: { ...el.element, elem: [`x${i}`] } } });
  for (let i = 0; i <= 100; i++) a.committed(b(i), 5, 5);
  assert.equal(a.applied(b(0), 5), false, 'the oldest went');
  assert.equal(a.applied(b(100), 5), true);
});
