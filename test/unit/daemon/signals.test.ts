// withSignalsBlocked (src/daemon/libc.ts): what skiffd wraps libnftables calls in,
// so that no signal of the daemon's ends their select(2) with EINTR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withSignalsBlocked } from '../../../src/daemon/libc.js';

const blocked = (): bigint => BigInt(`0x${/^SigBlk:\s+([0-9a-f]+)/m.exec(readFileSync('/proc/thread-self/status', 'utf8'))?.[1] ?? '0'}`);

test('withSignalsBlocked: every signal blocked while fn runs, the mask as it was after; its value and errors pass through', () => {
  const before = blocked();
  const inside = withSignalsBlocked(() => blocked());
  // the kernel never blocks SIGKILL (9) and SIGSTOP (19): every other standard signal is in the mask
  for (const sig of [1, 2, 10, 12, 14, 15, 17, 27]) assert.ok(inside & (1n << BigInt(sig - 1)), `signal ${sig} blocked`);
  assert.equal(blocked(), before);
  assert.throws(() => withSignalsBlocked(() => { throw new Error('from fn'); }), /from fn/);
  assert.equal(blocked(), before, 'restored after a throw too');
});
