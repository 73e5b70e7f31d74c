// What the installed helper can do, and whether it can run at all. Parsing the
// `--help`/`--version` text is pure; reading it, PATH lookup and the tun check
// are the thin part. A missing binary or an unusable /dev/net/tun becomes an
// error that says what to install or fix.
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from '../lib/exec.js';
import { SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';
import type { Backend, Features } from './types.js';

/** Long options named in a help text (`--mtu=MTU`, `--no-map-gw`, ...), dashes stripped. */
export function parseHelpOptions(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s,[])--([a-z0-9][a-z0-9-]*)/gm)) if (m[1]) out.add(m[1]);
  return out;
}

/** First line of `--version` (pasta: "pasta 2024_08_14.61c0b0d", slirp4netns: "slirp4netns version 1.2.0"). */
export function parseVersion(text: string): string {
  const line = text.split('\n').find((l) => /version|\d/.test(l) && !l.startsWith('Failed to send'));
  return line?.trim() || 'unknown version';
}

/** pasta logs "Failed to send N bytes to syslog" when there is no syslog; it is noise. */
export function cleanHelperOutput(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^Failed to send \d+ bytes to syslog/.test(l))
    .join('\n');
}

export const PACKAGE_HINT: Record<Backend, string> = {
  pasta: 'Install pasta: the "passt" package (apt install passt, dnf install passt)',
  slirp4netns: 'Install slirp4netns (apt install slirp4netns, dnf install slirp4netns)',
};

/** Looks the program up in PATH the way exec would; throws with an install hint when absent. */
export function findBinary(backend: Backend, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, backend);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  throw new SkiffError(`${backend} not found in PATH, the network namespace can't be configured`, {
    code: ErrorCode.SKIFF_ERR_ROOTLESS_MISSING,
    hint: PACKAGE_HINT[backend],
  });
}

/** Both helpers need a tap device; an unprivileged user needs /dev/net/tun readable and writable. */
export function checkTun(path = '/dev/net/tun'): void {
  try {
    closeSync(openSync(path, 'r+'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') {
      throw new SkiffError(`${path} is missing, rootless networking needs the tun device`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_TUN,
        hint: 'Load the tun module (modprobe tun); inside a container, pass the device in (--device /dev/net/tun)',
      });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SkiffError(`${path} is not readable and writable by uid ${process.getuid?.() ?? '?'}`, {
        code: ErrorCode.SKIFF_ERR_ROOTLESS_TUN,
        hint: `Give it its usual mode: chmod 0666 ${path}`,
      });
    }
    throw new SkiffError(`cannot open ${path}: ${(e as Error).message}`, { code: ErrorCode.SKIFF_ERR_ROOTLESS_TUN });
  }
}

/** Runs `--help` and `--version`; both exit codes are ignored (pasta --help exits 1). */
export async function probe(binary: string): Promise<Features> {
  const [help, version] = await Promise.all([
    run(binary, ['--help'], { timeoutMs: 5000 }),
    run(binary, ['--version'], { timeoutMs: 5000 }),
  ]);
  const helpText = cleanHelperOutput(help.stdout + '\n' + help.stderr);
  if (!/usage/i.test(helpText)) {
    throw new SkiffError(`${binary} --help printed no usage text; cannot tell which options it supports`, {
      code: ErrorCode.SKIFF_ERR_ROOTLESS_PROBE,
    });
  }
  return { version: parseVersion(cleanHelperOutput(version.stdout + '\n' + version.stderr)), options: parseHelpOptions(helpText) };
}
