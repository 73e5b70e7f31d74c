// One error base for all of Skiff. The top level (cli/main.ts) is the only
// place that decides how an error is printed: for netavark parity that is
// `{"error": "<message>"}` on stdout with the error's exit code.

export interface SkiffErrorOptions {
  code?: string;
  exitCode?: number;
  cause?: unknown;
  /** What the user can do about it; appended to the message when printed. */
  hint?: string;
}

export class SkiffError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(message: string, opts: SkiffErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SkiffError';
    this.code = opts.code ?? 'SKIFF_ERR';
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** Bad input: stdin JSON, flags, config files. Nothing has been changed yet. */
export class ConfigError extends SkiffError {
  constructor(message: string, opts: SkiffErrorOptions = {}) {
    super(message, { code: 'SKIFF_ERR_CONFIG', ...opts });
    this.name = 'ConfigError';
  }
}

/** A kernel request failed; carries the errno name (EEXIST, ENODEV, ...). */
export class NetlinkError extends SkiffError {
  readonly errno: string | undefined;
  constructor(message: string, opts: SkiffErrorOptions & { errno?: string } = {}) {
    super(message, { code: 'SKIFF_ERR_NETLINK', ...opts });
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
      { code: 'SKIFF_ERR_MULTI' },
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
