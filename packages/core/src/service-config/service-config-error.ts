/**
 * A service config that fails validation. The message starts with the JSON path of the bad field,
 * as the document spells it (`methodConfig[1].retryPolicy.maxAttempts: must be an integer greater
 * than 1`). The channel reports it as UNAVAILABLE when it has no good config to fall back to.
 */
export class ServiceConfigError extends Error {
  override readonly name = "ServiceConfigError";
  /** The JSON path of the bad field, e.g. `methodConfig[1].timeout`; "" for the document itself. */
  readonly path: string;
  /** What is wrong with it, without the path. */
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(path === "" ? reason : `${path}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}
