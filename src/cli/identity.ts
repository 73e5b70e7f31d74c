// Who the CLI says it is. Podman, scripts and netavark's suite read the
// version of the binary in helper_binaries_dir as netavark's, so when called
// as `netavark` Skiff reports the netavark interface version it implements.

/** netavark's interface version that this build implements (what `netavark --version` reports). */
export const NETAVARK_VERSION = '2.1.0';

/** Called as `netavark` (bin/netavark, Podman's helper_binaries_dir), or told so by SKIFF_AS_NETAVARK. */
export function calledAsNetavark(argv1: string | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.SKIFF_AS_NETAVARK === '1') return true;
  if (env.SKIFF_AS_NETAVARK === '0') return false;
  return /(^|\/)netavark$/.test(argv1 ?? '');
}
