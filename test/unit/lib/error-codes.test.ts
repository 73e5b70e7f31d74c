// Every SKIFF_ERR_* code the source can raise is documented in docs/errors.md,
// and the table names no code that no longer exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SOURCE_DIRS = ['src', 'dns', 'firewall', 'schemas'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function codesIn(text: string, pattern: RegExp): Set<string> {
  return new Set([...text.matchAll(pattern)].map((m) => m[1]!));
}

test('every error code in the source is in docs/errors.md, and only those', () => {
  const inSource = new Set<string>(['SKIFF_ERR']);
  for (const d of SOURCE_DIRS) {
    for (const f of sources(join(REPO, d))) {
      // literal codes only ('SKIFF_ERR_X' in quotes); prose like SKIFF_ERR_ROOTLESS_* is not a code
      for (const c of codesIn(readFileSync(f, 'utf8'), /['"`](SKIFF_ERR_[A-Z0-9_]*[A-Z0-9])['"`]/g)) inSource.add(c);
    }
  }
  const documented = codesIn(readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8'), /^\| `(SKIFF_ERR[A-Z0-9_]*)` \|/gm);
  const undocumented = [...inSource].filter((c) => !documented.has(c)).sort();
  const stale = [...documented].filter((c) => !inSource.has(c)).sort();
  assert.deepEqual(undocumented, [], `add these codes to docs/errors.md: ${undocumented.join(', ')}`);
  assert.deepEqual(stale, [], `docs/errors.md lists codes the source no longer has: ${stale.join(', ')}`);
});
