/**
 * The numbers and strings the interop cases share between client and server. The standard ones
 * come from grpc/grpc doc/interop-test-descriptions.md.
 */
import { createHash } from "node:crypto";

export const LARGE_REQUEST_SIZE = 271828;
export const LARGE_RESPONSE_SIZE = 314159;
export const STREAM_REQUEST_SIZES = [27182, 8, 1828, 45904] as const;
export const STREAM_RESPONSE_SIZES = [31415, 9, 2653, 58979] as const;
export const STREAM_AGGREGATE_SIZE = 74922;
export const COMPRESSED_STREAM_AGGREGATE_SIZE = 73086;
export const TEST_STATUS_MESSAGE = "test status message";
export const SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n";
export const ECHO_INITIAL_KEY = "x-grpc-test-echo-initial";
export const ECHO_INITIAL_VALUE = "test_initial_metadata_value";
export const ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin";
export const ECHO_TRAILING_VALUE = new Uint8Array([0xab, 0xab, 0xab]);

/** The certificate name interop clients claim with --server_host_override (as in grpc's test creds). */
export const TLS_SERVER_NAME = "foo.test.google.fr";

/** concurrency: this many large_unary calls at once on one channel. */
export const CONCURRENT_CALLS = 1000;

/**
 * bulk: one StreamingOutputCall of BULK_MESSAGES responses of BULK_MESSAGE_SIZE bytes each (100 MiB).
 * With the request metadata BULK_FILL_KEY: BULK_FILL_VALUE, the server fills response i with
 * `bulkBody(i, size)` instead of zeros, so that every message differs and a reordering or a
 * corrupted byte is caught. Servers that do not know the key send zeros (and fail the case).
 */
export const BULK_MESSAGES = 100;
export const BULK_MESSAGE_SIZE = 1 << 20;
export const BULK_FILL_KEY = "x-grpc-ts-interop-fill";
export const BULK_FILL_VALUE = "bulk";

/** The 32-byte block that response `index` of the bulk case repeats: SHA-256 of "grpc-ts interop bulk <index>". */
export function bulkBlock(index: number): Buffer {
  return createHash("sha256").update(`grpc-ts interop bulk ${index}`).digest();
}

/** The body of bulk response `index`: its block repeated (and cut) to `size` bytes. */
export function bulkBody(index: number, size: number): Buffer {
  return Buffer.alloc(size, bulkBlock(index));
}

const zeroCache = new Map<number, Uint8Array>();

/** `size` zero bytes (shared, never to be written to). */
export function zeros(size: number): Uint8Array {
  let z = zeroCache.get(size);
  if (z === undefined) {
    z = new Uint8Array(size);
    if (zeroCache.size < 64) zeroCache.set(size, z);
  }
  return z;
}

const zeroChunk = new Uint8Array(64 * 1024);

/** True when every byte is zero (compared a chunk at a time, at memcmp speed). */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let off = 0; off < bytes.length; off += zeroChunk.length) {
    const end = Math.min(off + zeroChunk.length, bytes.length);
    if (Buffer.compare(bytes.subarray(off, end), zeroChunk.subarray(0, end - off)) !== 0) return false;
  }
  return true;
}
