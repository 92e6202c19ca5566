/**
 * The expected gaps of the interop matrix: cases a peer cannot do, with the reason. They apply to
 * the plaintext and the TLS variant alike. A listed case is still run: it is reported as a gap
 * when it fails, and as a failure ("stale gap") when it passes, so this list stays true.
 */
import type { CaseName } from "../cases.js";
import type { Impl } from "./participants.js";

export interface ExpectedGap {
  readonly client: Impl;
  readonly server: Impl;
  readonly case: CaseName;
  readonly reason: string;
}

const grpcJsServerCannotSeeFlag =
  "the grpc-js server API does not tell a handler whether a request message arrived compressed, so it cannot enforce expect_compressed (CompressedRequest)";
const grpcJsServerCannotCompress =
  "the grpc-js server never compresses responses (its serializeMessage always clears the compressed flag), so it cannot honour response_compressed (CompressedResponse)";
const grpcJsClientCannotSeeFlag =
  "grpc-js gives a client no access to a response message's compressed flag, so it cannot check response_compressed";

export const expectedGaps: readonly ExpectedGap[] = [
  { client: "ours", server: "grpc-js", case: "client_compressed_unary", reason: grpcJsServerCannotSeeFlag },
  {
    client: "ours",
    server: "grpc-js",
    case: "client_compressed_streaming",
    reason: grpcJsServerCannotSeeFlag,
  },
  { client: "ours", server: "grpc-js", case: "server_compressed_unary", reason: grpcJsServerCannotCompress },
  {
    client: "ours",
    server: "grpc-js",
    case: "server_compressed_streaming",
    reason: grpcJsServerCannotCompress,
  },
  { client: "grpc-js", server: "ours", case: "server_compressed_unary", reason: grpcJsClientCannotSeeFlag },
  {
    client: "grpc-js",
    server: "ours",
    case: "server_compressed_streaming",
    reason: grpcJsClientCannotSeeFlag,
  },
  {
    client: "c-core",
    server: "ours",
    case: "client_compressed_streaming",
    reason:
      "grpcio's client request iterators have no per-message write flags, so a compressed stream cannot send its second message uncompressed (the probe part is run and checked)",
  },
];

export function findGap(client: Impl, server: Impl, name: CaseName): ExpectedGap | undefined {
  return expectedGaps.find((g) => g.client === client && g.server === server && g.case === name);
}
