// Whether this process may configure the network namespace it is in. A plain
// user in the machine's user namespace may not (so `skiff setup --rootless
// true` has to enter Skiff's rootless netns first); rootless Podman runs us
// inside its user namespace, where we hold every capability (nothing to enter).
import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12n;

/** CapEff from /proc/self/status text; undefined when the line is missing or malformed. */
export function parseCapEff(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  return m?.[1] === undefined ? undefined : BigInt(`0x${m[1]}`);
}

export function capNetAdmin(status: string): boolean {
  const eff = parseCapEff(status);
  return eff !== undefined && ((eff >> CAP_NET_ADMIN) & 1n) === 1n;
}

export function hasCapNetAdmin(read: () => string = () => readFileSync('/proc/self/status', 'utf8')): boolean {
  try {
    return capNetAdmin(read());
  } catch {
    return false;
  }
}

/** Set for the inner skiff, so that it never tries to enter again. */
export const INNER_ENV = 'SKIFF_ROOTLESS_NETNS_INNER';

/**
 * True when `skiff setup --rootless true` must enter the rootless netns
 * first: a plain user outside it. Kept here, away from enter.ts, so that
 * Podman's calls (already inside, CAP_NET_ADMIN) load nothing more.
 */
export function needsEntering(env: NodeJS.ProcessEnv = process.env, capNetAdmin = hasCapNetAdmin()): boolean {
  return env[INNER_ENV] !== '1' && !capNetAdmin;
}
