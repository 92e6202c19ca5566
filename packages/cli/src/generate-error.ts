/**
 * Why `generate` failed:
 * - `"input"`: the proto directory is missing, is not a directory, or holds no `.proto` file
 *   (the user's mistake; the command exits with code 2);
 * - `"buf"`: `buf generate` ran and failed, e.g. on a syntax error (`stderr` holds buf's report);
 * - `"tool"`: `buf` or `protoc-gen-es` could not be found or started.
 */
export type GenerateErrorReason = "input" | "buf" | "tool";

/** The one error type thrown by {@link generate}. */
export class GenerateError extends Error {
  override readonly name = "GenerateError";
  readonly reason: GenerateErrorReason;
  /** What buf wrote to stderr, for `reason: "buf"`; empty otherwise. */
  readonly stderr: string;

  constructor(
    reason: GenerateErrorReason,
    message: string,
    options: { stderr?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.stderr = options.stderr ?? "";
  }
}
