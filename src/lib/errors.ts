// One error base for all of Skiff. The top level (cli/main.ts) is the only
// place that decides how an error is printed: for netavark parity that is
// `{"error": "<message>"}` on stdout with the error's exit code.
import { ErrorCode } from './error-codes.js';

export interface SkiffErrorOptions {
  /** one of the catalogue (error-codes.ts); each is documented in docs/errors.md */
  code?: ErrorCode;
  exitCode?: number;
  cause?: unknown;
  /** What the user can do about it; appended to the message when printed. */
  hint?: string;
  /**
   * Skiff's extra context (field paths, names) for the debug log. The message
   * itself stays netavark's text where netavark has one: people search for it
   * and scripts match it.
   */
  detail?: string;
}

export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly hint: string | undefined;
  readonly detail: string | undefined;

  constructor(message: string, opts: SkiffErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SkiffError';
    this.code = opts.code ?? ErrorCode.SKIFF_ERR;
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
    this.detail = opts.detail;
  }
}

/** The `detail`s along an error's cause chain, outermost first (for the debug log). */
export function errorDetails(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof SkiffError && e.detail) out.push(e.detail);
  }
  return out;
}

/** Bad input: stdin JSON, flags, config files. Nothing has been changed yet. */
export class ConfigError extends SkiffError {
  constructor(message: string, opts: SkiffErrorOptions = {}) {
    super(message, { code: ErrorCode.SKIFF_ERR_CONFIG, ...opts });
    this.name = 'ConfigError';
  }
}

/** A kernel request failed; carries the errno name (EEXIST, ENODEV, ...). */
export class NetlinkError extends SkiffError {
  readonly errno: string | undefined;
  constructor(message: string, opts: SkiffErrorOptions & { errno?: string } = {}) {
    super(message, { code: ErrorCode.SKIFF_ERR_NETLINK, ...opts });
    this.name = 'NetlinkError';
    this.errno = opts.errno;
  }
}

/** Several independent failures, e.g. from a teardown that went on past errors. */
export class MultiError extends SkiffError {
  readonly errors: readonly Error[];
  constructor(errors: readonly Error[]) {
    super(
      'skiff encountered multiple errors:\n' + errors.map((e) => `\t- ${errorMessage(e)}`).join('\n'),
      { code: ErrorCode.SKIFF_ERR_MULTI },
    );
    this.name = 'MultiError';
    this.errors = errors;
  }
}

/** Adds "what we were doing" in front of an inner error: `context: inner`. */
export function wrap(context: string, err: unknown, opts: SkiffErrorOptions = {}): SkiffError {
  const inner = err instanceof SkiffError ? err : undefined;
  // the inner hint is already part of errorMessage(err)
  return new SkiffError(`${context}: ${errorMessage(err)}`, {
    code: inner?.code,
    exitCode: inner?.exitCode,
    ...opts,
    cause: err,
  });
}

/**
 * Like wrap(), but the context goes to the debug log only: the message stays
 * the inner one, as netavark prints it (it adds no per-network prefix).
 */
export function annotate(context: string, err: unknown): unknown {
  if (!(err instanceof SkiffError)) return err;
  return new SkiffError(err.message, { code: err.code, exitCode: err.exitCode, hint: err.hint, cause: err, detail: context });
}

/** Throws a single error as is, several as a MultiError, none not at all. */
export function throwCollected(errors: readonly Error[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new MultiError(errors);
}

export function errorMessage(err: unknown): string {
  if (err instanceof SkiffError) return err.hint ? `${err.message}. ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
