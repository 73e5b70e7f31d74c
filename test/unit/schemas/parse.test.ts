// The shared JSON + zod wrapper: paths, "missing field" only for an absent field, how many issues are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from 'zod/mini';
import { checkValue, formatPath, parseJson } from '../../../schemas/parse.js';

const schema = z.object({ name: z.string(), subnets: z.array(z.object({ subnet: z.string() })) });
const errorOf = (text: string, max?: number): string => {
  const r = parseJson(schema, text, max);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error;
};

test('paths read like the input: dots for keys, brackets for indexes', () => {
  assert.equal(formatPath(['network_info', 'mynet', 'subnets', 0, 'gateway']), 'network_info.mynet.subnets[0].gateway');
  assert.equal(formatPath([0, 'a']), '[0].a');
  assert.equal(formatPath([]), '');
});

test('only an absent field is "missing field"; a wrong or null value says what it is', () => {
  assert.equal(errorOf('{"subnets":[]}'), 'name: missing field');
  assert.equal(errorOf('{"name":5,"subnets":[]}'), 'name: Invalid input: expected string, received number');
  assert.equal(errorOf('{"name":null,"subnets":[]}'), 'name: Invalid input: expected string, received null');
  assert.equal(errorOf('{"name":"n","subnets":[{}]}'), 'subnets[0].subnet: missing field');
  assert.equal(errorOf('5'), 'Invalid input: expected object, received number');
});

test('bad JSON uses netavark\'s words', () => {
  assert.match(errorOf('{"name": '), /^JSON Decoding error: /);
});

test('reports the first issue, or up to maxIssues joined with "; "', () => {
  assert.equal(errorOf('{}'), 'name: missing field');
  assert.equal(errorOf('{}', 5), 'name: missing field; subnets: missing field');
});

test('checkValue checks an already decoded value the same way', () => {
  assert.deepEqual(checkValue(schema, { name: 'n', subnets: [] }), { ok: true, value: { name: 'n', subnets: [] } });
  assert.deepEqual(checkValue(schema, { subnets: [] }), { ok: false, error: 'name: missing field' });
});
