// The layer rules of ARCHITECTURE.md, enforced: every relative import between
// the project's folders must be allowed by RULES. A new folder must be added
// here (and to ARCHITECTURE.md) before it can import or be imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** folder → the folders it may import from (besides itself). Lower layers first. */
const RULES: Record<string, readonly string[]> = {
  'src/lib': [],
  schemas: ['src/lib'],
  'src/netlink': ['src/lib'],
  'src/network': ['src/lib', 'schemas'],
  dns: ['src/lib', 'schemas'],
  firewall: ['src/lib', 'schemas'],
  'src/dns-feed': ['src/lib', 'schemas'],
  'src/rootless': ['src/lib', 'schemas', 'src/netlink'],
  'src/dhcp': ['src/lib', 'schemas', 'src/netlink'],
  'src/drivers': ['src/lib', 'schemas', 'src/netlink', 'src/network', 'firewall', 'src/dhcp'],
  'src/core': ['src/lib', 'schemas', 'src/netlink', 'src/network', 'firewall', 'src/dhcp', 'src/drivers', 'src/dns-feed', 'src/rootless'],
  'src/cni': ['src/lib', 'schemas', 'src/netlink', 'src/network', 'firewall', 'src/dhcp', 'src/drivers', 'src/dns-feed', 'src/core'],
  'src/daemon': ['src/lib', 'dns', 'src/netlink'],
  'src/cli': ['src/lib', 'schemas', 'src/netlink', 'src/network', 'firewall', 'src/dhcp', 'src/drivers', 'src/dns-feed', 'src/rootless', 'src/core', 'src/cni', 'src/daemon'],
};

/** Known violations being worked off (`file -> folder`), each with the reason it is still here. */
const KNOWN: Record<string, string> = {};

function folderOf(file: string): string {
  const parts = relative(REPO, file).split('/');
  return parts[0] === 'src' ? `src/${parts[1]}` : parts[0]!;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('imports between folders follow ARCHITECTURE.md', () => {
  const problems: string[] = [];
  for (const root of ['src', 'dns', 'firewall', 'schemas']) {
    for (const file of tsFiles(join(REPO, root))) {
      const from = folderOf(file);
      const allowed = RULES[from];
      if (!allowed) {
        problems.push(`${relative(REPO, file)}: folder ${from} has no layer rule (add it to ARCHITECTURE.md and this test)`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)) {
        const to = folderOf(normalize(join(dirname(file), m[1]!)));
        if (to === from || allowed.includes(to)) continue;
        const key = `${relative(REPO, file)} -> ${to}`;
        if (KNOWN[key]) continue;
        problems.push(`${key} (${from} may import only ${allowed.join(', ') || 'nothing of ours'})`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

// Core reaches every driver through the registry's interface (src/drivers/driver.ts):
// a driver name in core would mean a second place to edit when a driver is added.
test('core never branches on a driver name', () => {
  const names = ['bridge', 'macvlan', 'ipvlan', 'plugin'];
  const branch = new RegExp(
    [
      String.raw`case\s+['"](?:${names.join('|')})['"]`,
      String.raw`[!=]==?\s*['"](?:${names.join('|')})['"]`,
      String.raw`['"](?:${names.join('|')})['"]\s*[!=]==?`,
      String.raw`\.driver\s*[!=]==?`,
      String.raw`switch\s*\([^)]*\.driver\s*\)`,
    ].join('|'),
  );
  const problems: string[] = [];
  for (const file of tsFiles(join(REPO, 'src/core'))) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (branch.test(line)) problems.push(`${relative(REPO, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(problems, []);
});
