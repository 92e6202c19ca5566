/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: what was asked for does not exist, or the descriptors could not be loaded. */
export const EXIT_FAILURE = 1;
/** Exit code: a usage error (options, target, malformed JSON, unreadable input file). */
export const EXIT_USAGE = 2;
/** Exit codes of failed calls start here: 64 + the gRPC status code (as grpcurl does). */
export const EXIT_STATUS_BASE = 64;

/** The exit code for a call that ended with gRPC status `code` (1..16 → 65..80). */
export function exitCodeForStatus(code: number): number {
  return EXIT_STATUS_BASE + code;
}

/** A failure of the command itself (not a gRPC status), with its exit code and extra lines to show. */
export class CliFailure extends Error {
  override readonly name = "CliFailure";
  readonly exitCode: number;
  /** Printed after the message, e.g. buf's report. */
  readonly detail: string;

  constructor(exitCode: number, message: string, detail = "") {
    super(message);
    this.exitCode = exitCode;
    this.detail = detail;
  }
}

/** A usage error: exit code 2. */
export function usageError(message: string): CliFailure {
  return new CliFailure(EXIT_USAGE, message);
}
