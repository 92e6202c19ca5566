/**
 * The interop test cases, by their conventional names. The standard ones follow grpc/grpc
 * doc/interop-test-descriptions.md; `concurrency` and `bulk` are this project's additions (see
 * `client-cases.ts`), implemented by every client and server in the matrix.
 */
export const standardCases = [
  "empty_unary",
  "large_unary",
  "client_compressed_unary",
  "server_compressed_unary",
  "client_streaming",
  "client_compressed_streaming",
  "server_streaming",
  "server_compressed_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
] as const;

/** The heavy cases: run once per peer pair (plaintext), not in every variant. */
export const heavyCases = ["concurrency", "bulk"] as const;

export const allCases = [...standardCases, ...heavyCases] as const;

export type CaseName = (typeof allCases)[number];

export function isCaseName(name: string): name is CaseName {
  return (allCases as readonly string[]).includes(name);
}

/** `all`, one name, or a comma-separated list (an extension of the conventional single name). */
export function parseCaseList(spec: string): CaseName[] {
  if (spec === "all") return [...allCases];
  const names = spec.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!isCaseName(n)) throw new Error(`unknown test case "${n}" (known: all, ${allCases.join(", ")})`);
  }
  return names as CaseName[];
}
