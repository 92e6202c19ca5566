import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** One entry of `google.rpc.Status.details`: a `google.protobuf.Any`. */
export interface ErrorDetail {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** A detail given as a protobuf-es schema and message, or as a ready `Any`. */
export type ErrorDetailInput =
  | ErrorDetail
  | { readonly desc: DescMessage; readonly value: MessageInitShape<DescMessage> };

const typeUrlPrefix = "type.googleapis.com/";

export function toErrorDetail(input: ErrorDetailInput): ErrorDetail {
  if ("typeUrl" in input) return input;
  const msg = create(input.desc, input.value);
  return { typeUrl: typeUrlPrefix + input.desc.typeName, value: toBinary(input.desc, msg) };
}

/** The fully qualified message name of a detail's type URL (the part after the last `/`). */
export function detailTypeName(detail: ErrorDetail): string {
  return detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
}

/** Decodes every detail of the given message type. */
export function findDetails<Desc extends DescMessage>(
  details: readonly ErrorDetail[],
  desc: Desc,
): MessageShape<Desc>[] {
  const out: MessageShape<Desc>[] = [];
  for (const d of details) {
    if (detailTypeName(d) === desc.typeName) out.push(fromBinary(desc, d.value));
  }
  return out;
}

/** The decoded `google.rpc.Status` carried in `grpc-status-details-bin`. */
export interface StatusProto {
  readonly code: number;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** Encodes a `google.rpc.Status` (code = 1, message = 2, repeated Any details = 3). */
export function encodeStatusProto(status: StatusProto): Uint8Array {
  const w = new BinaryWriter();
  if (status.code !== 0) w.tag(1, WireType.Varint).int32(status.code);
  if (status.message !== "") w.tag(2, WireType.LengthDelimited).string(status.message);
  for (const d of status.details) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(d.typeUrl);
    w.tag(2, WireType.LengthDelimited).bytes(d.value);
    w.join();
  }
  return w.finish();
}

/** Decodes a `google.rpc.Status`; throws on malformed bytes. */
export function decodeStatusProto(bytes: Uint8Array): StatusProto {
  const r = new BinaryReader(bytes);
  let code = 0;
  let message = "";
  const details: ErrorDetail[] = [];
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.Varint) code = r.int32();
    else if (field === 2 && wire === WireType.LengthDelimited) message = r.string();
    else if (field === 3 && wire === WireType.LengthDelimited) details.push(decodeAny(r.bytes()));
    else r.skip(wire, field);
  }
  return { code, message, details };
}

function decodeAny(bytes: Uint8Array): ErrorDetail {
  const r = new BinaryReader(bytes);
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array(0);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) typeUrl = r.string();
    else if (field === 2 && wire === WireType.LengthDelimited) value = r.bytes();
    else r.skip(wire, field);
  }
  return { typeUrl, value };
}
