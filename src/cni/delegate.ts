// Runs another CNI plugin (the IPAM plugin named in ipam.type) the way a
// runtime would: found through CNI_PATH, the same configuration on stdin, the
// same environment with CNI_COMMAND (and for GC the attachment) replaced.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/exec.js';
import { CniCode, CniError } from './errors.js';
import { parseResult, type Result } from './result.js';

export interface DelegateCall {
  type: string;
  command: 'ADD' | 'DEL' | 'CHECK' | 'GC' | 'STATUS' | 'VERSION';
  /** the network configuration text to send (cniVersion possibly rewritten) */
  stdin: string;
  cniPath: string[];
  env: NodeJS.ProcessEnv;
  /** overrides for CNI_CONTAINERID / CNI_IFNAME / CNI_NETNS */
  overrides?: Record<string, string>;
}

export function findPlugin(type: string, cniPath: readonly string[]): string {
  if (type.includes('/')) throw new CniError(CniCode.InvalidConfig, `ipam.type ${JSON.stringify(type)} must be a plugin name, not a path`);
  for (const dir of cniPath) {
    const p = join(dir, type);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  throw new CniError(CniCode.InvalidConfig, `failed to find plugin "${type}" in path [${cniPath.join(' ')}]`);
}

/** Runs the plugin; its own CNI error (code, msg, details) is passed on as is. Returns stdout. */
export async function execDelegate(call: DelegateCall): Promise<string> {
  const path = findPlugin(call.type, call.cniPath);
  const env = { ...call.env, CNI_COMMAND: call.command, ...(call.overrides ?? {}) };
  const r = await run(path, [], { env, input: call.stdin, timeoutMs: 60_000 });
  if (r.code === 0) return r.stdout;
  let parsed: { code?: unknown; msg?: unknown; details?: unknown } | undefined;
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed.code === 'number' && typeof parsed.msg === 'string') {
    throw new CniError(parsed.code, `${call.type} ${call.command}: ${parsed.msg}`, typeof parsed.details === 'string' ? parsed.details : '');
  }
  const why = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  throw new CniError(CniCode.SetupFailed, `${call.type} ${call.command} failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})${why ? `: ${why}` : ''}`);
}

/** The same configuration with another cniVersion (for a delegate that does not speak ours). */
export function withVersion(stdin: string, version: string): string {
  const o = JSON.parse(stdin) as Record<string, unknown>;
  return JSON.stringify({ ...o, cniVersion: version });
}

/**
 * IPAM ADD. IPAM plugins built before spec 1.1.0 (Debian's 1.1.1 plugins)
 * refuse a 1.1.0 configuration with code 1; 1.0.0 has the same result format,
 * so the call is repeated with that.
 */
export async function ipamAdd(call: Omit<DelegateCall, 'command'>, cniVersion: string): Promise<Result> {
  let out: string;
  try {
    out = await execDelegate({ ...call, command: 'ADD' });
  } catch (e) {
    if (!(e instanceof CniError && e.cniCode === CniCode.IncompatibleVersion && cniVersion === '1.1.0')) throw e;
    out = await execDelegate({ ...call, command: 'ADD', stdin: withVersion(call.stdin, '1.0.0') });
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    throw new CniError(CniCode.DecodingFailure, `${call.type} ADD printed something that is not JSON`);
  }
  const r = parseResult(json);
  if (!r.ok) throw new CniError(CniCode.DecodingFailure, `${call.type} ADD returned an invalid result: ${r.error}`);
  return r.value;
}

/** What the plugin's VERSION says it supports ([] when it cannot tell). */
export async function delegateVersions(type: string, cniPath: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    const out = await execDelegate({ type, command: 'VERSION', stdin: '{"cniVersion":"0.4.0"}', cniPath, env });
    const v = (JSON.parse(out) as { supportedVersions?: unknown }).supportedVersions;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * DEL/CHECK, with the same 1.1.0 → 1.0.0 fallback as ipamAdd. GC and STATUS
 * exist only from spec 1.1.0: a plugin that does not list it is not asked.
 */
export async function ipamCall(call: DelegateCall, cniVersion: string): Promise<void> {
  if (call.command === 'GC' || call.command === 'STATUS') {
    if (!(await delegateVersions(call.type, call.cniPath, call.env)).includes('1.1.0')) return;
  }
  try {
    await execDelegate(call);
  } catch (e) {
    if (!(e instanceof CniError && e.cniCode === CniCode.IncompatibleVersion && cniVersion === '1.1.0')) throw e;
    await execDelegate({ ...call, stdin: withVersion(call.stdin, '1.0.0') });
  }
}
