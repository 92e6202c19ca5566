/**
 * gRPC status codes (statuscodes.md) and the one place where transport failures become codes.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type CodeName = keyof typeof Code;
export type Code = (typeof Code)[CodeName];

const names: readonly CodeName[] = Object.keys(Code) as CodeName[];

/** The canonical upper-case name of a code, e.g. `DEADLINE_EXCEEDED`; `CODE_99` for an unknown number. */
export function codeName(code: number): string {
  return names[code] ?? `CODE_${code}`;
}

/** The code for a canonical name (case-insensitive), or undefined. */
export function codeFromName(name: string): Code | undefined {
  const upper = name.toUpperCase();
  return Object.hasOwn(Code, upper) ? Code[upper as CodeName] : undefined;
}

/** True for an integer in 0..16. */
export function isCode(value: number): value is Code {
  return Number.isInteger(value) && value >= 0 && value <= 16;
}

/**
 * The code a client reports when a response carries no grpc-status, from its HTTP status
 * (PROTOCOL-HTTP2.md / http-grpc-status-mapping.md).
 */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}
