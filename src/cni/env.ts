// The CNI_* environment (spec §"Parameters"). Which variables a verb needs
// differs: DEL works without CNI_NETNS (the netns may be gone), VERSION needs
// nothing but CNI_COMMAND.
import * as z from 'zod/mini';
import '../../schemas/zod-locale.js';
import { CniCode, CniError } from './errors.js';

export const COMMANDS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;
export type CniCommand = (typeof COMMANDS)[number];

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifName: string;
  /** CNI_ARGS as key/value pairs, e.g. K8S_POD_NAME */
  args: Record<string, string>;
  /** CNI_PATH split on ':' */
  path: string[];
}

const IFNAMSIZ = 15;
const envSchema = z.object({
  CNI_COMMAND: z.enum(COMMANDS, { error: (i) => `CNI_COMMAND ${JSON.stringify(i.input)} is not one of ${COMMANDS.join(', ')}` }),
  CNI_CONTAINERID: z._default(z.string(), ''),
  CNI_NETNS: z._default(z.string(), ''),
  CNI_IFNAME: z._default(z.string(), ''),
  CNI_ARGS: z._default(z.string(), ''),
  CNI_PATH: z._default(z.string(), ''),
});

/** Variables each verb cannot do without. */
const REQUIRED: Record<CniCommand, readonly (keyof z.infer<typeof envSchema>)[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  GC: ['CNI_PATH'],
  STATUS: ['CNI_PATH'],
  VERSION: [],
};

function envError(msg: string): CniError {
  return new CniError(CniCode.InvalidEnvironment, msg);
}

/** "IgnoreUnknown=1;K8S_POD_NAME=web" → { IgnoreUnknown: '1', K8S_POD_NAME: 'web' } */
export function parseCniArgs(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(';')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw envError(`CNI_ARGS: invalid pair ${JSON.stringify(pair)} (expected KEY=VALUE)`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Throws CniError code 4 naming the variable that is missing or malformed. */
export function parseCniEnv(env: NodeJS.ProcessEnv): CniEnv {
  if (!env.CNI_COMMAND) throw envError('CNI_COMMAND is not set');
  const r = envSchema.safeParse(env);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw envError(issue.path.length > 0 && issue.code !== 'invalid_value' ? `${String(issue.path[0])}: ${issue.message}` : issue.message);
  }
  const e = r.data;
  for (const key of REQUIRED[e.CNI_COMMAND]) {
    if (e[key] === '') throw envError(`${key} is required for ${e.CNI_COMMAND} but not set`);
  }
  if (e.CNI_CONTAINERID !== '' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(e.CNI_CONTAINERID)) {
    throw envError(`CNI_CONTAINERID ${JSON.stringify(e.CNI_CONTAINERID)} must start with a letter or digit and contain only letters, digits, _ . -`);
  }
  if (e.CNI_IFNAME !== '') {
    const n = e.CNI_IFNAME;
    if (n.length > IFNAMSIZ || n === '.' || n === '..' || /[\s/:]/.test(n)) {
      throw envError(`CNI_IFNAME ${JSON.stringify(n)} is not a valid interface name (at most ${IFNAMSIZ} characters, no / : or spaces)`);
    }
  }
  return {
    command: e.CNI_COMMAND,
    containerId: e.CNI_CONTAINERID,
    netns: e.CNI_NETNS,
    ifName: e.CNI_IFNAME,
    args: parseCniArgs(e.CNI_ARGS),
    path: e.CNI_PATH.split(':').filter((p) => p !== ''),
  };
}
