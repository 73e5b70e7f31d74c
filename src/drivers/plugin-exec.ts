// External network drivers (netavark's plugin API, docs/plugin-API.md upstream): an executable
// named exactly as the driver in one of the --plugin-directory dirs, called
// with a subcommand and JSON on stdin. Exit 0 = the answer on stdout; non-zero
// = {"error": "..."} on stdout. Its stderr is passed through to ours.
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
// zod/mini: the full zod build costs ~650 KB of bundle read on every `skiff setup`.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import type { PortMapping } from '../../schemas/port-mapping.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import { run, type ExecResult } from '../lib/exec.js';
import { createLog } from '../lib/log.js';
import { parseCidr, parseIp } from '../../schemas/ip.js';

const log = createLog('plugin');

/**
 * Path of the plugin for `driver`: the first `<dir>/<driver>` that is a
 * regular file with any execute bit. Undefined when there is none (then the
 * driver is unknown). A driver name that is not a plain file name never matches.
 */
export function findPlugin(dirs: readonly string[], driver: string): string | undefined {
  if (driver === '' || driver === '.' || driver === '..' || driver.includes('/') || driver.includes('\0')) return undefined;
  for (const dir of dirs) {
    const path = join(dir, driver);
    try {
      const st = statSync(path);
      if (st.isFile() && (st.mode & 0o111) !== 0) return path;
    } catch {
      // missing or unreadable: look in the next directory
    }
  }
  return undefined;
}

/** The error for a driver that is neither builtin nor a plugin (netavark's wording). */
export function unknownDriverError(driver: string, dirs: readonly string[] = []): SkiffError {
  return new SkiffError(`unknown network driver ${JSON.stringify(driver)}`, {
    code: ErrorCode.SKIFF_ERR_UNKNOWN_DRIVER,
    hint: dirs.length > 0 ? `No executable named ${driver} in ${dirs.join(', ')}` : 'No --plugin-directory was given',
  });
}

/** What `setup`/`teardown` send on stdin (netavark's NetworkPluginExec). */
export interface PluginExecInput {
  container_id: string;
  container_name: string;
  port_mappings?: readonly PortMapping[] | null;
  /** the Network as the engine sent it */
  network: object;
  /** the PerNetworkOptions of this attachment */
  network_options: object;
}

const ipText = z.string().check(z.refine((s) => parseIp(s) !== undefined, { error: (i) => `invalid IP address ${JSON.stringify(i.input)}` }));
const cidrText = z.string().check(z.refine((s) => parseCidr(s) !== undefined, { error: (i) => `invalid address/prefix ${JSON.stringify(i.input)}` }));

/** StatusBlock as a plugin must print it from `setup`. */
export const pluginStatusBlockSchema = z.object({
  dns_search_domains: z.nullish(z.array(z.string())),
  dns_server_ips: z.nullish(z.array(ipText)),
  interfaces: z.nullish(
    z.record(
      z.string(),
      z.object({
        mac_address: z.string(),
        subnets: z.nullish(z.array(z.object({ ipnet: cidrText, gateway: z.nullish(ipText) }))),
      }),
    ),
  ),
});
export type PluginStatusBlock = z.infer<typeof pluginStatusBlockSchema>;

export const pluginInfoSchema = z.looseObject({ version: z.string(), api_version: z.string() });
export type PluginInfo = z.infer<typeof pluginInfoSchema>;

export interface PluginRunOptions {
  /** where the plugin's stderr goes; default our stderr (podman shows it to the user) */
  stderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function pluginName(path: string): string {
  return basename(path);
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * Runs `<path> <args...>` with `input` as JSON on stdin. Resolves with the
 * parsed stdout JSON of a successful run (undefined when stdout is empty);
 * rejects with `<prefix>: exit code N, message: <msg>` when the plugin
 * reports an error, and with a message naming the plugin for anything else.
 */
async function execPlugin(path: string, args: readonly string[], input: unknown, prefix: string, o: PluginRunOptions): Promise<unknown> {
  const name = pluginName(path);
  log.debug('running plugin', { plugin: path, args });
  const r: ExecResult = await run(path, args, {
    input: input === undefined ? '' : JSON.stringify(input),
    env: o.env,
    timeoutMs: o.timeoutMs,
  }).catch((e: unknown) => {
    throw new SkiffError(`${prefix}: ${e instanceof Error ? e.message : String(e)}`, { code: ErrorCode.SKIFF_ERR_PLUGIN, cause: e });
  });
  if (r.stderr !== '') (o.stderr ?? ((t: string) => process.stderr.write(t)))(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
  if (r.code === null) {
    throw new SkiffError(`plugin ${JSON.stringify(name)} killed by signal ${r.signal ?? 'unknown'}`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  }
  const text = r.stdout.trim();
  if (r.code !== 0) {
    let message: string | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      const e = z.object({ error: z.string() }).safeParse(parsed);
      if (e.success) message = e.data.error;
    } catch {
      // not JSON: reported below
    }
    if (message === undefined) {
      const shown = text === '' ? 'no output' : `output ${JSON.stringify(text.slice(0, 200))}`;
      throw new SkiffError(`${prefix}: exit code ${r.code}, parse error: expected {"error": "..."} on stdout, got ${shown}`, {
        code: ErrorCode.SKIFF_ERR_PLUGIN,
      });
    }
    throw new SkiffError(`${prefix}: exit code ${r.code}, message: ${message}`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  }
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SkiffError(`${prefix}: invalid JSON on stdout: ${(e as Error).message}`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  }
}

function requireOutput(value: unknown, prefix: string, what: string): unknown {
  if (value === undefined) throw new SkiffError(`${prefix}: no ${what} on stdout`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  return value;
}

/**
 * `<plugin> create`: the network in, the completed network out (not yet
 * validated here: the caller runs the common create checks on it).
 * Errors read `plugin "<name>": exit code N, message: <msg>`.
 */
export async function pluginCreate(path: string, network: object, o: PluginRunOptions = {}): Promise<unknown> {
  const prefix = `plugin ${JSON.stringify(pluginName(path))}`;
  return requireOutput(await execPlugin(path, ['create'], network, prefix, o), prefix, 'network');
}

/**
 * `<plugin> setup <netns>` → the StatusBlock it printed, validated.
 * Errors read `plugin "<name>" failed: exit code N, message: <msg>`, netavark's
 * exact text for setup/teardown (nv:test/500-plugin.bats).
 */
export async function pluginSetup(path: string, netnsPath: string, input: PluginExecInput, o: PluginRunOptions = {}): Promise<PluginStatusBlock> {
  const prefix = `plugin ${JSON.stringify(pluginName(path))} failed`;
  const out = requireOutput(await execPlugin(path, ['setup', netnsPath], input, prefix, o), prefix, 'status block');
  const r = pluginStatusBlockSchema.safeParse(out);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = formatPath(issue.path);
    throw new SkiffError(`${prefix}: invalid status block: ${where ? `${where}: ` : ''}${issue.message}`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  }
  return r.data;
}

/** `<plugin> teardown <netns>`; anything on stdout after success is ignored. */
export async function pluginTeardown(path: string, netnsPath: string, input: PluginExecInput, o: PluginRunOptions = {}): Promise<void> {
  const prefix = `plugin ${JSON.stringify(pluginName(path))} failed`;
  await execPlugin(path, ['teardown', netnsPath], input, prefix, o);
}

/** `<plugin> info` → {version, api_version, ...}. */
export async function pluginInfo(path: string, o: PluginRunOptions = {}): Promise<PluginInfo> {
  const prefix = `plugin ${JSON.stringify(pluginName(path))}`;
  const out = requireOutput(await execPlugin(path, ['info'], undefined, prefix, o), prefix, 'info');
  const r = pluginInfoSchema.safeParse(out);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new SkiffError(`${prefix}: invalid info: ${formatPath(issue.path) || 'value'}: ${issue.message}`, { code: ErrorCode.SKIFF_ERR_PLUGIN });
  }
  return r.data;
}
