import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { Code, type Compression, RpcError } from "@grpc-ts/core";
import { CompressionRegistry } from "@grpc-ts/core/protocol";

type ZlibFn = (data: Uint8Array, options: zlib.ZlibOptions) => Promise<Buffer>;

function zlibCompression(name: string, compress: ZlibFn, decompress: ZlibFn): Compression {
  return {
    name,
    compress: (data) => compress(data, {}),
    async decompress(data, maxBytes) {
      try {
        return await decompress(data, { maxOutputLength: Math.max(1, maxBytes) });
      } catch (e) {
        if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) {
          throw new RpcError(
            Code.RESOURCE_EXHAUSTED,
            `decompressed message is larger than the receive limit of ${maxBytes} bytes`,
          );
        }
        throw new RpcError(Code.INTERNAL, `could not decompress a ${name} message: ${(e as Error).message}`, {
          cause: e,
        });
      }
    },
  };
}

/** gzip (RFC 1952) with zlib. */
export const gzip: Compression = zlibCompression("gzip", promisify(zlib.gzip), promisify(zlib.gunzip));
/** deflate (zlib format, RFC 1950) with zlib. */
export const deflate: Compression = zlibCompression(
  "deflate",
  promisify(zlib.deflate),
  promisify(zlib.inflate),
);

/** The algorithms the Node runtime offers by default. */
export const defaultCompressions: readonly Compression[] = [gzip, deflate];

export function createCompressionRegistry(
  algorithms: readonly Compression[] = defaultCompressions,
): CompressionRegistry {
  return new CompressionRegistry(algorithms);
}
