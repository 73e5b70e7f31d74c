// One CNI invocation: environment and stdin in, one JSON value out (a result,
// a version list or the spec's error object). Returns the exit code; the
// entry point (main.ts) only wires it to the process.
import { createLog } from '../lib/log.js';
import { parseNetConf, peekVersion } from './config.js';
import { parseCniEnv, type CniEnv } from './env.js';
import { toCniError } from './errors.js';
import { renderResult } from './result.js';
import { SUPPORTED_VERSIONS } from './version.js';
import type { CniRuntime } from './runtime.js';
import { stateDirOf } from './state.js';

export interface CniIo {
  stdout(text: string): void;
}

export async function runCni(procEnv: NodeJS.ProcessEnv, stdin: string, io: CniIo): Promise<number> {
  const out = (v: unknown) => io.stdout(JSON.stringify(v) + '\n');
  let version = peekVersion(stdin);
  try {
    const env: CniEnv = parseCniEnv(procEnv);
    if (env.command === 'VERSION') {
      out({ cniVersion: '1.1.0', supportedVersions: SUPPORTED_VERSIONS });
      return 0;
    }
    const conf = parseNetConf(stdin);
    version = conf.cniVersion;
    const rt: CniRuntime = { conf, env, stdin, stateDir: stateDirOf(conf.stateDir, procEnv), procEnv, log: createLog('skiff-cni') };
    switch (env.command) {
      case 'ADD': {
        const { cmdAdd } = await import('./add.js');
        out(renderResult(await cmdAdd(rt), conf.cniVersion));
        return 0;
      }
      case 'DEL': {
        const { cmdDel } = await import('./del.js');
        await cmdDel(rt);
        return 0;
      }
      case 'CHECK': {
        const { cmdCheck } = await import('./check.js');
        await cmdCheck(rt);
        return 0;
      }
      case 'GC': {
        const { cmdGc } = await import('./gc.js');
        await cmdGc(rt);
        return 0;
      }
      case 'STATUS': {
        const { cmdStatus } = await import('./status.js');
        await cmdStatus(rt);
        return 0;
      }
    }
  } catch (e) {
    out(toCniError(e, version));
    return 1;
  }
}
