/**
 * `grpc.health.v1.Health/Watch` as the channel's health checking calls it (health-checking.md):
 * its two messages by hand, since the channel needs only the service name out and the serving
 * status in, and no generated code of a package above this one.
 *   HealthCheckRequest  { string service = 1; }
 *   HealthCheckResponse { ServingStatus status = 1; }  UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
 */
import { Code, type MethodDefinition, RpcError } from "@grpc-ts/core";

export const SERVING = 1;

const statusNames = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** The name of a serving status for messages (`NOT_SERVING`, or the number of an unknown one). */
export function servingStatusName(status: number): string {
  return statusNames[status] ?? String(status);
}

const utf8 = new TextEncoder();

function encodeRequest(service: string): Uint8Array {
  if (service === "") return new Uint8Array(0);
  const name = utf8.encode(service);
  const out: number[] = [0x0a];
  for (let n = name.length; ; n >>>= 7) {
    if (n < 0x80) {
      out.push(n);
      break;
    }
    out.push((n & 0x7f) | 0x80);
  }
  const bytes = new Uint8Array(out.length + name.length);
  bytes.set(out);
  bytes.set(name, out.length);
  return bytes;
}

/** The `status` of a HealthCheckResponse; other fields are skipped, as protobuf readers do. */
function decodeStatus(bytes: Uint8Array): number {
  let status = 0;
  let i = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (i >= bytes.length) throw new RpcError(Code.INTERNAL, "a truncated health response");
      const b = bytes[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    // A longer varint (a negative enum value, sign-extended to 10 octets): skip the rest.
    while (i < bytes.length && bytes[i++]! >= 0x80);
    return -1;
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0: {
        const v = varint();
        if (field === 1) status = v;
        break;
      }
      case 1:
        i += 8;
        break;
      case 2:
        i += varint();
        break;
      case 5:
        i += 4;
        break;
      default:
        throw new RpcError(Code.INTERNAL, `a health response with wire type ${tag & 7}`);
    }
  }
  if (i > bytes.length) throw new RpcError(Code.INTERNAL, "a truncated health response");
  return status;
}

/** The Watch method, with the hand-written codec above. */
export const healthWatch: MethodDefinition<number, number, "server_streaming", string, number> = {
  kind: "server_streaming",
  service: "grpc.health.v1.Health",
  name: "Watch",
  path: "/grpc.health.v1.Health/Watch",
  requestStream: false,
  responseStream: true,
  codecs: {
    proto: {
      request: { serialize: (s) => encodeRequest(s as string), deserialize: () => 0 },
      response: { serialize: () => new Uint8Array(0), deserialize: decodeStatus },
    },
  },
};
