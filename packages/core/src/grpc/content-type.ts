/**
 * gRPC content types (PROTOCOL-HTTP2.md): `application/grpc` is protobuf; `application/grpc+NAME`
 * names the codec (`proto`, `json`, ...). Parameters after `;` are ignored.
 */
export interface ParsedContentType {
  readonly codec: string;
}

const proto: ParsedContentType = { codec: "proto" };
const cache = new Map<string, ParsedContentType | undefined>();

/** The codec a content type names, or undefined when it is not a gRPC content type. */
export function parseContentType(contentType: string | undefined): ParsedContentType | undefined {
  if (contentType === undefined) return undefined;
  if (contentType === "application/grpc" || contentType === "application/grpc+proto") return proto;
  let parsed = cache.get(contentType);
  if (parsed !== undefined || cache.has(contentType)) return parsed;
  parsed = parseSlow(contentType);
  if (cache.size < 64) cache.set(contentType, parsed);
  return parsed;
}

function parseSlow(contentType: string): ParsedContentType | undefined {
  const semi = contentType.indexOf(";");
  const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mediaType === "application/grpc") return proto;
  if (!mediaType.startsWith("application/grpc+")) return undefined;
  const codec = mediaType.slice("application/grpc+".length);
  return codec === "" ? undefined : { codec };
}

/** The content type to send for a codec. */
export function grpcContentType(codec: string): string {
  return codec === "proto" ? "application/grpc" : `application/grpc+${codec}`;
}
