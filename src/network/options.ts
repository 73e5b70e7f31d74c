// What the drivers' option checks for `create` share. Values are strings; a
// few are normalised the way podman ≤5 did it in Go so that setup only ever
// sees "true"/"false".
import { ConfigError } from '../lib/errors.js';

/** "", "0", "1", "true", "false" → "true" | "false" (Go's ParseBool subset podman passes). */
export function normaliseBool(value: string): string | undefined {
  if (value === '' || value === '0' || value === 'false') return 'false';
  if (value === '1' || value === 'true') return 'true';
  return undefined;
}

export function noDefaultRoute(value: string): string {
  const v = normaliseBool(value);
  if (v === undefined) throw new ConfigError(`invalid no_default_route value ${value}`);
  return v;
}
