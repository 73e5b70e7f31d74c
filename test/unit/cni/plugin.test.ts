// In-process runs of the CNI entry: every error case from
// test/fixtures/cni/errors.json comes back as the spec's error object, before
// anything on the machine is touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCni } from '../../../src/cni/plugin.js';
import { REPO } from '../../helpers/sandbox.js';

const DIR = join(REPO, 'test/fixtures/cni');

interface ErrorCase {
  name: string;
  env: Record<string, string>;
  stdin: string;
  code: number;
  msg: string;
  version?: string;
}

async function invoke(env: Record<string, string>, stdin: string): Promise<{ code: number; out: Record<string, unknown> }> {
  let text = '';
  const code = await runCni({ SKIFF_LOG: 'off', ...env }, stdin, { stdout: (t) => (text += t) });
  assert.ok(text.endsWith('\n') && text.indexOf('\n') === text.length - 1, `exactly one JSON line, got ${JSON.stringify(text)}`);
  return { code, out: JSON.parse(text) as Record<string, unknown> };
}

const cases = JSON.parse(readFileSync(join(DIR, 'errors.json'), 'utf8')) as ErrorCase[];
for (const c of cases) {
  test(`error: ${c.name} → code ${c.code}`, async () => {
    const stdin = c.stdin.startsWith('@') ? readFileSync(join(DIR, c.stdin.slice(1)), 'utf8') : c.stdin;
    const { code, out } = await invoke(c.env, stdin);
    assert.equal(code, 1);
    assert.deepEqual(Object.keys(out).filter((k) => k !== 'details'), ['cniVersion', 'code', 'msg']);
    assert.equal(out.code, c.code, String(out.msg));
    assert.ok(String(out.msg).includes(c.msg), `msg ${JSON.stringify(out.msg)} should contain ${JSON.stringify(c.msg)}`);
    const wantVersion = c.version ?? (() => {
      try {
        return (JSON.parse(stdin) as { cniVersion?: string }).cniVersion ?? '1.1.0';
      } catch {
        return '1.1.0';
      }
    })();
    assert.equal(out.cniVersion, wantVersion);
  });
}

test('VERSION lists every supported version and needs no stdin', async () => {
  const { code, out } = await invoke({ CNI_COMMAND: 'VERSION' }, '');
  assert.equal(code, 0);
  assert.deepEqual(out, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
});

test('GC without an attachment list collects nothing and succeeds', async () => {
  let text = '';
  const code = await runCni(
    { SKIFF_LOG: 'off', CNI_COMMAND: 'GC', CNI_PATH: '/nonexistent', SKIFF_CNI_STATE_DIR: '/nonexistent/state' },
    '{"cniVersion":"1.1.0","name":"n","type":"skiff"}',
    { stdout: (t) => (text += t) },
  );
  assert.equal(code, 0);
  assert.equal(text, '');
});
