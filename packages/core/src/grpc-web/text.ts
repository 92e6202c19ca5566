/**
 * gRPC-Web text mode (`application/grpc-web-text`): bodies are base64. A sender may flush at any
 * point, padding each flushed segment, so a body is a concatenation of padded base64 segments
 * (PROTOCOL-WEB.md: "the client library should not assume base64 padding always happens at the
 * boundary of message frames"), and it arrives split into chunks at arbitrary places.
 */
import { base64Encode } from "../base64.js";
import { Code } from "../code.js";
import { RpcError } from "../rpc-error.js";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const table = new Int8Array(256).fill(-1);
for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
table[45 /* - */] = 62;
table[95 /* _ */] = 63;
const PAD = 61; /* = */
const SKIP = -2;
for (const c of [9, 10, 13, 32]) table[c] = SKIP; // whitespace between segments is ignored

/**
 * Decodes a base64 body incrementally: feed chunks of ASCII bytes split anywhere, get the decoded
 * bytes so far. Each 4-character quantum is decoded on its own, so padding may appear at the end of
 * any quantum, not only at the end of the body.
 */
export class Base64StreamDecoder {
  readonly #quantum = new Uint8Array(4);
  #fill = 0;

  /** True when no partial 4-character quantum is held. */
  get idle(): boolean {
    return this.#fill === 0;
  }

  /** Decodes what the chunk completes; throws INTERNAL on a character that is not base64. */
  push(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.ceil(((this.#fill + chunk.length) * 3) / 4));
    let o = 0;
    const q = this.#quantum;
    let fill = this.#fill;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = table[c]!;
      if (v === SKIP) continue;
      if (v < 0 && c !== PAD) throw invalid(`invalid character 0x${c.toString(16)} in base64 text`);
      q[fill++] = c;
      if (fill < 4) continue;
      fill = 0;
      const a = table[q[0]!]!;
      const b = table[q[1]!]!;
      if (a < 0 || b < 0) throw invalid("misplaced base64 padding");
      out[o++] = (a << 2) | (b >> 4);
      if (q[2] === PAD) {
        if (q[3] !== PAD) throw invalid("misplaced base64 padding");
        continue;
      }
      const c3 = table[q[2]!]!;
      out[o++] = ((b & 15) << 4) | (c3 >> 2);
      if (q[3] === PAD) continue;
      out[o++] = ((c3 & 3) << 6) | table[q[3]!]!;
    }
    this.#fill = fill;
    return o === out.length ? out : out.subarray(0, o);
  }

  /** Throws INTERNAL when the body ended inside a quantum (an unpadded or cut-off segment). */
  end(): void {
    if (this.#fill !== 0) {
      this.#fill = 0;
      throw invalid("base64 text ended in the middle of a 4-character group");
    }
  }
}

function invalid(what: string): RpcError {
  return new RpcError(Code.INTERNAL, `gRPC-Web text body: ${what}`);
}

const ascii = new TextEncoder();

/** Encodes bytes as one padded base64 segment, as ASCII bytes ready to send. */
export function encodeTextSegment(bytes: Uint8Array): Uint8Array {
  return ascii.encode(base64Encode(bytes));
}
