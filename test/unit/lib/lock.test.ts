// lib/lock under contention from several processes, holders removing the
// lock file as they go (as rootless setup/teardown do): never two holders at
// once. Each holder creates a marker with O_EXCL while it holds the lock; a
// second holder at the same time finds the marker and counts an overlap.
// The same file is the worker (SKIFF_LOCK_WORKER set), so no extra script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockFile, withLock } from '../../../src/lib/lock.js';

const WORKER = process.env.SKIFF_LOCK_WORKER;

function worker(dir: string, rounds: number): number {
  const lock = join(dir, 'x.lock');
  const marker = join(dir, 'holder');
  let overlaps = 0;
  for (let i = 0; i < rounds; i++) {
    const l = lockFile(lock);
    try {
      closeSync(openSync(marker, 'wx'));
    } catch {
      overlaps++; // someone else holds "the" lock right now
    }
    const until = Date.now() + Math.random() * 2; // widen the window a little
    while (Date.now() < until) {
      /* busy */
    }
    try {
      unlinkSync(marker);
    } catch {
      /* the overlapping holder removed it */
    }
    if (Math.random() < 0.5) l.remove();
    else l.release();
  }
  return overlaps;
}

if (WORKER) {
  const [dir, rounds] = WORKER.split(':');
  process.stdout.write(String(worker(dir!, Number(rounds))));
} else {
  test('lockFile: 6 processes, holders removing the file half the time: never two holders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
    try {
      const self = fileURLToPath(import.meta.url);
      const outs = await Promise.all(
        Array.from(
          { length: 6 },
          () =>
            new Promise<string>((resolve, reject) => {
              const c = spawn(process.execPath, [self], { env: { ...process.env, SKIFF_LOCK_WORKER: `${dir}:300` }, stdio: ['ignore', 'pipe', 'inherit'] });
              let out = '';
              c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
              c.on('error', reject);
              c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
            }),
        ),
      );
      assert.deepEqual(outs.map(Number), [0, 0, 0, 0, 0, 0]);
      assert.deepEqual(readdirSync(dir).filter((f) => f !== 'x.lock'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('withLock removeIf: the file goes only when asked, also after fn threw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-lock-'));
    const lock = join(dir, 'y.lock');
    try {
      await withLock(lock, async () => 1, { removeIf: () => false });
      assert.equal(existsSync(lock), true);
      await assert.rejects(withLock(lock, async () => Promise.reject(new Error('boom')), { removeIf: () => true }), /boom/);
      assert.equal(existsSync(lock), false);
      // and it can be taken again at once (a new file)
      assert.equal(await withLock(lock, async () => 2), 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
