import { ErrorCode, Http2Error } from "../errors.js";

/** What was wrong with a header block. */
export type HpackErrorKind =
  | "truncated"
  | "integer-overflow"
  | "index-out-of-range"
  | "huffman-invalid"
  | "string-too-long"
  | "table-size-update-too-large"
  | "table-size-update-misplaced"
  | "table-size-update-missing";

/**
 * A header block that cannot be decoded. HPACK state is shared by the whole connection, so this
 * is always a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3).
 */
export class HpackError extends Http2Error {
  override readonly name: string = "HpackError";
  readonly kind: HpackErrorKind;

  constructor(kind: HpackErrorKind, message: string) {
    super(ErrorCode.COMPRESSION_ERROR, `HPACK ${kind}: ${message}`, 0);
    this.kind = kind;
  }
}
