// CNI spec versions Skiff speaks. 0.3.x/0.4.0 share the old result format
// (ips carry "version"); 1.0.0 and 1.1.0 share the new one. libcni in
// containerd 1.6 stops at 1.0.0; Podman 4's CNI backend writes 0.4.0.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

export function isSupported(v: string): v is CniVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** -1, 0 or 1, comparing dotted numeric versions ("0.4.0" < "1.0.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Results before 1.0.0 tag each IP with its family ("version": "4"). */
export function usesLegacyResult(v: string): boolean {
  return compareVersions(v, '1.0.0') < 0;
}
