// CNI errors: `{"cniVersion","code","msg","details"}` on stdout with a non-zero
// exit. Codes below 100 are the spec's well-known ones; Skiff's own failures
// (kernel, nft) use 100 and up.
import { ConfigError, errorMessage, NetlinkError, SkiffError } from '../lib/errors.js';
import { ErrorCode } from '../lib/error-codes.js';

export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  NotAvailable: 50,
  LimitedConnectivity: 51,
  /** a kernel or nftables request failed */
  SetupFailed: 100,
} as const;

export class CniError extends SkiffError {
  readonly cniCode: number;
  readonly details: string;
  constructor(cniCode: number, msg: string, details = '', opts: { cause?: unknown } = {}) {
    super(msg, { code: ErrorCode.SKIFF_ERR_CNI, ...opts });
    this.name = 'CniError';
    this.cniCode = cniCode;
    this.details = details;
  }
}

export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** Any thrown value as the spec's error object; bad input keeps code 7, the rest 100. */
export function toCniError(e: unknown, cniVersion: string): CniErrorJson {
  if (e instanceof CniError) {
    return { cniVersion, code: e.cniCode, msg: e.message, ...(e.details ? { details: e.details } : {}) };
  }
  const code = e instanceof ConfigError ? CniCode.InvalidConfig : CniCode.SetupFailed;
  const details = e instanceof NetlinkError && e.errno ? e.errno : undefined;
  return { cniVersion, code, msg: errorMessage(e), ...(details ? { details } : {}) };
}
