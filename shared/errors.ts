/**
 * Domain errors with stable codes. Tests match `code`, never the message. The mapping from `kind` to an HTTP
 * status and to each OpenStack service's error body lives in one place: `edge-site/api/errors.ts`.
 * Errors that cross the agent bus or the federation travel as {@link WireError}.
 */

/** Coarse class of an error; decides the HTTP status. */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'over_quota'
  | 'unsupported_media_type'
  | 'not_acceptable'
  | 'unavailable'
  | 'timeout'
  | 'internal';

/** Options of a {@link BrumeError}. */
export interface BrumeErrorOptions {
  /** Whether retrying the same request later may succeed. */
  retryable?: boolean;
  /** OpenStack exception type name where the service shows one (Neutron's `NeutronError.type`, Heat's `error.type`). */
  type?: string;
  /** Extra machine-readable context; never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** An error whose `code` (e.g. `compute.instance_not_found`) is stable and whose `kind` decides the HTTP status. */
export class BrumeError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly type: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, options: BrumeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrumeError';
    this.kind = kind;
    this.code = code;
    this.retryable = options.retryable ?? (kind === 'unavailable' || kind === 'timeout');
    this.type = options.type;
    this.details = options.details;
  }

  /** The form that crosses process boundaries. */
  toWire(): WireError {
    return { code: this.code, kind: this.kind, message: this.message, retryable: this.retryable };
  }

  /** Rebuilds an error received from another process. */
  static fromWire(wire: WireError): BrumeError {
    return new BrumeError(wire.kind ?? 'internal', wire.code, wire.message, { retryable: wire.retryable });
  }
}

/** An error as it travels over the agent bus or the federation. */
export interface WireError {
  code: string;
  kind?: ErrorKind;
  message: string;
  retryable: boolean;
}

/** Shorthands for the common kinds; each takes the stable code first. */
export const badRequest = (code: string, message: string, options?: BrumeErrorOptions) =>
  new BrumeError('bad_request', code, message, options);
export const notFound = (code: string, message: string, options?: BrumeErrorOptions) =>
  new BrumeError('not_found', code, message, options);
export const conflict = (code: string, message: string, options?: BrumeErrorOptions) =>
  new BrumeError('conflict', code, message, options);
export const forbidden = (code: string, message: string, options?: BrumeErrorOptions) =>
  new BrumeError('forbidden', code, message, options);
export const unauthorized = (code: string, message: string, options?: BrumeErrorOptions) =>
  new BrumeError('unauthorized', code, message, options);

/** True when `err` is a {@link BrumeError} (also across module copies). */
export function isBrumeError(err: unknown): err is BrumeError {
  return err instanceof BrumeError || (err instanceof Error && err.name === 'BrumeError' && 'kind' in err);
}
