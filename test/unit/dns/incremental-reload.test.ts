// Incremental reloads (config-dir.ts parseFile, Backend built from the
// previous one) must give exactly what a load from scratch gives, for any
// sequence of edits: appends, removals, changed lines, a changed header,
// bad lines, CRLF, blank lines, files coming and going.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseNetworkConfig } from '../../../schemas/aardvark-config.js';
import { ConfigDir, parseFile } from '../../../dns/config-dir.js';
import { Backend } from '../../../dns/backend.js';

const line = fc
  .record({
    id: fc.constantFrom('a', 'b', 'c', 'd', 'e1', 'f'),
    v4: fc.constantFrom('', '10.0.0.2', '10.0.0.3', '10.0.0.3,10.0.0.4', '10.0.1.2'),
    v6: fc.constantFrom('', 'fd00::2', 'fd00::3'),
    names: fc.constantFrom('web', 'db,web', 'x', 'Cache,x', 'y'),
    dns: fc.constantFrom('', ' 10.9.9.9'),
    bad: fc.constantFrom(false, false, false, false, false, false, false, true),
    cr: fc.boolean(),
  })
  .map((l) => (l.bad ? `${l.id} 10.0.0.999  ${l.names}` : `${l.id} ${l.v4} ${l.v6} ${l.names}${l.dns}`) + (l.cr ? '\r' : ''));
const header = fc.constantFrom('10.0.0.1', '10.0.0.1 10.9.9.8', '10.0.0.1,fd00::1', '10.0.0.999');
const file = fc.record({ header, lines: fc.array(fc.oneof(line, fc.constant('')), { maxLength: 8 }) }).map((f) => [f.header, ...f.lines].join('\n') + '\n');

/** A sequence of versions of one file, each usually an edit of the one before. */
const versions = fc.array(
  fc.oneof(
    file.map((f) => ({ kind: 'replace' as const, f })),
    line.map((l) => ({ kind: 'append' as const, l })),
    fc.nat().map((n) => ({ kind: 'drop' as const, n })),
  ),
  { minLength: 1, maxLength: 12 },
);

function apply(prev: string, e: { kind: 'replace'; f: string } | { kind: 'append'; l: string } | { kind: 'drop'; n: number }): string {
  if (e.kind === 'replace') return e.f;
  if (e.kind === 'append') return prev + e.l + '\n';
  const lines = prev.split('\n');
  if (lines.length <= 2) return prev;
  lines.splice(1 + (e.n % (lines.length - 2)), 1);
  return lines.join('\n');
}

const tryParse = (content: string): { ok: true; v: unknown } | { ok: false; msg: string } => {
  try {
    return { ok: true, v: parseNetworkConfig('net', content) };
  } catch (e) {
    return { ok: false, msg: (e as Error).message };
  }
};

test('parseFile with the previous parse = parseNetworkConfig from scratch (same entries, same errors)', () => {
  fc.assert(
    fc.property(file, versions, (first, edits) => {
      let content = first;
      let prev: ReturnType<typeof parseFile> | undefined;
      for (const e of [undefined, ...edits]) {
        if (e) content = apply(content, e);
        const want = tryParse(content);
        let got: ReturnType<typeof parseFile> | undefined;
        try {
          got = parseFile('net', content, prev);
        } catch (err) {
          assert.equal(want.ok, false, `incremental parse threw (${(err as Error).message}) where a full parse succeeds`);
          if (!want.ok) assert.equal((err as Error).message, want.msg);
          continue; // the caller keeps its previous version
        }
        assert.ok(want.ok, 'incremental parse succeeded where a full parse fails');
        if (want.ok) assert.deepEqual(got.config, want.v);
        prev = got;
      }
    }),
    { numRuns: 400 },
  );
});

/** Everything a query can observe of a backend, as plain data. */
function view(b: Backend): unknown {
  const nets = [...b.networks.values()].map((n) => ({
    name: n.name,
    internal: n.internal,
    bindIps: n.bindIps,
    dnsServers: n.dnsServers,
    names: [...n.names].sort().map(([k, a]) => [k, a.v4.map((x) => x.toString('hex')), a.v6.map((x) => x.toString('hex'))]),
    reverse: [...n.reverse].sort().map(([k, r]) => [k, r.map((x) => x.toString('hex'))]),
  }));
  const req = [...b.requesters].sort().map(([k, r]) => [k, r.id, [...r.networks].sort(), r.dnsServers]);
  const lis = [...b.listeners].sort().map(([k, l]) => [k, l.map((n) => n.name)]);
  return { nets, req, lis };
}

test('a reload through ConfigDir + Backend(previous) serves what a fresh load serves', () => {
  const dirs: string[] = [];
  try {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('net1', 'net2', 'net1%int'), fc.oneof(file, fc.constant(undefined))), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.constantFrom('net1', 'net2'), line), { maxLength: 6 }),
        (steps, appends) => {
          const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-inc-'));
          dirs.push(dir);
          const contents = new Map<string, string>();
          const incremental = new ConfigDir(dir);
          let prev: Backend | undefined;
          const check = (): void => {
            const inc = incremental.load();
            const fresh = new ConfigDir(dir).load();
            assert.equal(inc.digest, fresh.digest);
            const b = new Backend(inc.configs, prev);
            // a bad file keeps its last good version: only compare when nothing was kept
            if (inc.errors.length === 0) assert.deepEqual(view(b), view(new Backend(fresh.configs)));
            prev = b;
          };
          for (const [name, content] of steps) {
            if (content === undefined) {
              if (contents.delete(name)) unlinkSync(join(dir, name));
            } else {
              contents.set(name, content);
              writeFileSync(join(dir, name), content);
            }
            check();
            for (const [net, l] of appends) {
              if (!contents.has(net)) continue;
              contents.set(net, contents.get(net)! + l + '\n');
              writeFileSync(join(dir, net), contents.get(net)!);
              check();
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
