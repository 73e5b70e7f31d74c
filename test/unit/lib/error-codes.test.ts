// The error-code catalogue (src/lib/error-codes.ts) and docs/errors.md list the
// same codes, both ways; and no code is written out anywhere else without
// being in the catalogue (the compiler checks `code:` fields, this catches the rest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../../src/lib/error-codes.js';

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

const catalogue = new Set<string>(Object.values(ErrorCode));
const documented = codesIn(readFileSync(join(REPO, 'docs', 'errors.md'), 'utf8'), /^\| `(SKIFF_ERR[A-Z0-9_]*)` \|/gm);

test('the catalogue names each code as its own key', () => {
  for (const [key, code] of Object.entries(ErrorCode)) assert.equal(key, code);
});

test('every code in the catalogue has a row in docs/errors.md', () => {
  const undocumented = [...catalogue].filter((c) => !documented.has(c)).sort();
  assert.deepEqual(undocumented, [], `add these codes to docs/errors.md: ${undocumented.join(', ')}`);
});

test('docs/errors.md lists only codes of the catalogue', () => {
  const stale = [...documented].filter((c) => !catalogue.has(c)).sort();
  assert.deepEqual(stale, [], `docs/errors.md lists codes the catalogue does not have: ${stale.join(', ')}`);
});

test('every code literal in the source is in the catalogue', () => {
  const unknown: string[] = [];
  for (const d of SOURCE_DIRS) {
    for (const f of sources(join(REPO, d))) {
      // literal codes only ('SKIFF_ERR_X' in quotes); prose like SKIFF_ERR_ROOTLESS_* is not a code
      for (const c of codesIn(readFileSync(f, 'utf8'), /['"`](SKIFF_ERR_[A-Z0-9_]*[A-Z0-9])['"`]/g)) {
        if (!catalogue.has(c)) unknown.push(`${f.slice(REPO.length)}: ${c}`);
      }
    }
  }
  assert.deepEqual(unknown, [], 'add these codes to src/lib/error-codes.ts and docs/errors.md');
});
