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
