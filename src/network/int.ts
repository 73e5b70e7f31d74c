// Integer option parsing with the messages Rust's `str::parse` gives, because
// netavark's option errors ("unable to parse \"mtu\": invalid digit found in
// string") are what users and tests already know.
import { ConfigError } from '../lib/errors.js';

export type IntResult = { ok: true; value: number } | { ok: false; error: string };

export function parseInt32(text: string, signed: boolean): IntResult {
  if (text === '') return { ok: false, error: 'cannot parse integer from empty string' };
  let digits = text;
  let negative = false;
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (signed && digits.startsWith('-')) {
    negative = true;
    digits = digits.slice(1);
  }
  if (digits === '' || !/^\d+$/.test(digits)) return { ok: false, error: 'invalid digit found in string' };
  const n = BigInt(digits) * (negative ? -1n : 1n);
  const max = signed ? 2147483647n : 4294967295n;
  const min = signed ? -2147483648n : 0n;
  if (n > max) return { ok: false, error: 'number too large to fit in target type' };
  if (n < min) return { ok: false, error: 'number too small to fit in target type' };
  return { ok: true, value: Number(n) };
}

/** `unable to parse "<key>": <why>` on failure, like netavark's parse_option. */
export function optionInt(key: string, value: string, signed = false): number {
  const r = parseInt32(value, signed);
  if (!r.ok) throw new ConfigError(`unable to parse "${key}": ${r.error}`);
  return r.value;
}

