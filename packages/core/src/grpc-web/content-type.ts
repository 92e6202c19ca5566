/**
 * gRPC-Web content types (PROTOCOL-WEB.md): `application/grpc-web` (binary) and
 * `application/grpc-web-text` (the same bytes, base64-encoded), each optionally `+NAME` for the codec
 * (`proto` when absent, `json`, ...). Parameters after `;` are ignored.
 */
export interface ParsedWebContentType {
  readonly codec: string;
  /** True for `application/grpc-web-text`: request and response bodies are base64 text. */
  readonly text: boolean;
}

const binaryProto: ParsedWebContentType = { codec: "proto", text: false };
const textProto: ParsedWebContentType = { codec: "proto", text: true };

/** The codec and format a content type names, or undefined when it is not a gRPC-Web content type. */
export function parseWebContentType(contentType: string | undefined): ParsedWebContentType | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(";");
  const mediaType = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  let rest: string;
  let text: boolean;
  if (mediaType.startsWith("application/grpc-web-text")) {
    rest = mediaType.slice("application/grpc-web-text".length);
    text = true;
  } else if (mediaType.startsWith("application/grpc-web")) {
    rest = mediaType.slice("application/grpc-web".length);
    text = false;
  } else {
    return undefined;
  }
  if (rest === "") return text ? textProto : binaryProto;
  if (rest.charCodeAt(0) !== 43 /* + */ || rest.length === 1) return undefined;
  const codec = rest.slice(1);
  if (codec === "proto") return text ? textProto : binaryProto;
  return { codec, text };
}

/** The content type to send for a codec and format: `application/grpc-web[-text]+NAME`. */
export function grpcWebContentType(codec: string, text: boolean): string {
  return `${text ? "application/grpc-web-text" : "application/grpc-web"}+${codec}`;
}
