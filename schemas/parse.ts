// The one way a schema turns JSON text into checked data, and zod's issues
// into text: `path: what`, the path like `network_info.mynet.subnets[0].gateway`,
// "missing field" only for a field that is absent. Error texts are part of the
// contract (netavark's suite and Podman users read them): change them here only
// on purpose.
import * as z from 'zod/mini';
import './zod-locale.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Renders a zod path like `network_info.mynet.subnets[0].gateway`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** `path: message`; an absent field (needs `reportInput`, see checkValue) reads "missing field". */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  const msg = issue.code === 'invalid_type' && issue.input === undefined ? 'missing field' : issue.message;
  return where ? `${where}: ${msg}` : msg;
}

/** The first `max` issues, joined with `; `. */
export function formatIssues(err: { issues: readonly z.core.$ZodIssue[] }, max: number): string {
  return err.issues.slice(0, max).map(formatIssue).join('; ');
}

/** A decoded JSON value checked by `schema`; the error reports up to `maxIssues` issues. */
export function checkValue<S extends z.ZodMiniType>(schema: S, json: unknown, maxIssues = 1): Parsed<z.output<S>> {
  // reportInput: the issues keep the value, so only an absent field reads "missing field"
  const r = schema.safeParse(json, { reportInput: true });
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, error: formatIssues(r.error, maxIssues) };
}

/** JSON text checked by `schema`; bad JSON reads `JSON Decoding error: ...` (netavark's words). */
export function parseJson<S extends z.ZodMiniType>(schema: S, text: string, maxIssues = 1): Parsed<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `JSON Decoding error: ${(e as Error).message}` };
  }
  return checkValue(schema, json, maxIssues);
}
