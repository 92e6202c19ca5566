import { Code } from "./code.js";
import { RpcError } from "./rpc-error.js";

/**
 * A message compression algorithm (compression.md). The core defines the interface and identity;
 * runtimes provide the real algorithms (the Node package: gzip and deflate with zlib).
 */
export interface Compression {
  /** The `grpc-encoding` token, e.g. `gzip`. */
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Must throw RESOURCE_EXHAUSTED when the output would exceed `maxBytes` (a decompression bomb). */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

export const identity = "identity";

/** The algorithms a peer may use, by name; `identity` is always implied. */
export class CompressionRegistry {
  readonly #byName = new Map<string, Compression>();
  /** The `grpc-accept-encoding` value advertised to peers. */
  readonly acceptEncoding: string;

  constructor(algorithms: readonly Compression[]) {
    for (const a of algorithms) this.#byName.set(a.name, a);
    this.acceptEncoding = [...this.#byName.keys(), identity].join(",");
  }

  get(name: string): Compression | undefined {
    return this.#byName.get(name);
  }

  /**
   * The algorithm for a received `grpc-encoding`; undefined for identity/absent.
   * An unknown algorithm throws UNIMPLEMENTED, as compression.md says.
   */
  forEncoding(encoding: string | undefined): Compression | undefined {
    if (encoding === undefined || encoding === identity || encoding === "") return undefined;
    const found = this.#byName.get(encoding);
    if (found === undefined) {
      throw new RpcError(
        Code.UNIMPLEMENTED,
        `message compression "${encoding}" is not supported; supported: ${this.acceptEncoding}`,
      );
    }
    return found;
  }
}

/** True when a `grpc-accept-encoding` list names the algorithm. */
export function acceptsEncoding(acceptEncoding: string | undefined, name: string): boolean {
  if (acceptEncoding === undefined) return false;
  for (const part of acceptEncoding.split(",")) if (part.trim() === name) return true;
  return false;
}

/** INTERNAL: a compressed flag on a stream whose encoding is identity (compression.md). */
export function compressedWithoutEncoding(): RpcError {
  return new RpcError(Code.INTERNAL, "received a compressed message but grpc-encoding is identity or absent");
}
