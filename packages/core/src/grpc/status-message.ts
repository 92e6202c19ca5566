/**
 * `grpc-message` is percent-encoded UTF-8: bytes outside printable ASCII, and `%`, become `%XX`.
 * Decoding is lenient: a malformed escape is kept as it is, as PROTOCOL-HTTP2.md asks.
 */
export function encodeStatusMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  const bytes = new TextEncoder().encode(message);
  let out = "";
  for (const b of bytes) {
    if (b < 0x20 || b > 0x7e || b === 0x25) out += "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
    else out += String.fromCharCode(b);
  }
  return out;
}

const hex = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

export function decodeStatusMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length + 0 && i + 2 <= value.length - 1) {
      const hi = hex(value.charCodeAt(i + 1));
      const lo = hex(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    bytes.push(c & 0xff);
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}
