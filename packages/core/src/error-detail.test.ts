import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  decodeStatusProto,
  detailTypeName,
  type ErrorDetail,
  encodeStatusProto,
  findDetails,
  type StatusProto,
  toErrorDetail,
} from "./error-detail.js";

const duration = (seconds: bigint, nanos = 0): ErrorDetail => ({
  typeUrl: "type.googleapis.com/google.protobuf.Duration",
  value: toBinary(DurationSchema, create(DurationSchema, { seconds, nanos })),
});

/** google.rpc.Status built by hand (google/rpc/status.proto: code=1, message=2, details=3 Any{type_url=1,value=2}). */
function handBuiltStatus(): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int32(5);
  w.tag(2, WireType.LengthDelimited).string("naïve ✓");
  w.tag(3, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string("type.googleapis.com/google.rpc.RetryInfo");
  w.tag(2, WireType.LengthDelimited).bytes(Uint8Array.of(0x0a, 0x02, 0x08, 0x03));
  w.join();
  w.tag(3, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string("example.com/pkg.Empty");
  w.join();
  return w.finish();
}

describe("encodeStatusProto / decodeStatusProto", () => {
  it("round-trips a status with several details", () => {
    const status: StatusProto = {
      code: 3,
      message: "bad request: ünïcödé",
      details: [
        duration(5n, 6),
        { typeUrl: "type.googleapis.com/google.rpc.BadRequest", value: Uint8Array.of(1, 2, 3, 0, 255) },
        { typeUrl: "type.googleapis.com/empty.Value", value: new Uint8Array(0) },
      ],
    };
    const decoded = decodeStatusProto(encodeStatusProto(status));
    assert.deepEqual(decoded, status);
  });

  it("encodes the exact bytes of google.rpc.Status", () => {
    const bytes = encodeStatusProto({
      code: 5,
      message: "x",
      details: [{ typeUrl: "a/b", value: Uint8Array.of(7) }],
    });
    // 08 05 | 12 01 'x' | 1a 08 [0a 03 'a/b' 12 01 07]
    assert.deepEqual(
      bytes,
      Uint8Array.of(0x08, 0x05, 0x12, 0x01, 0x78, 0x1a, 0x08, 0x0a, 0x03, 0x61, 0x2f, 0x62, 0x12, 0x01, 0x07),
    );
  });

  it("leaves out proto3 defaults: an OK status with no message is empty", () => {
    assert.deepEqual(encodeStatusProto({ code: 0, message: "", details: [] }), new Uint8Array(0));
    assert.deepEqual(decodeStatusProto(new Uint8Array(0)), { code: 0, message: "", details: [] });
  });

  it("decodes bytes built independently", () => {
    assert.deepEqual(decodeStatusProto(handBuiltStatus()), {
      code: 5,
      message: "naïve ✓",
      details: [
        { typeUrl: "type.googleapis.com/google.rpc.RetryInfo", value: Uint8Array.of(0x0a, 0x02, 0x08, 0x03) },
        { typeUrl: "example.com/pkg.Empty", value: new Uint8Array(0) },
      ],
    });
  });

  it("skips unknown fields in the Status and in each Any", () => {
    const w = new BinaryWriter();
    w.tag(9, WireType.Varint).uint64(123456789012n);
    w.tag(1, WireType.Varint).int32(14);
    w.tag(10, WireType.Bit32).fixed32(0xdeadbeef);
    w.tag(2, WireType.LengthDelimited).string("unavailable");
    w.tag(11, WireType.Bit64).fixed64(1n);
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(5, WireType.LengthDelimited).string("ignored");
    w.tag(1, WireType.LengthDelimited).string("type.googleapis.com/x.Y");
    w.tag(6, WireType.Varint).int32(1);
    w.tag(2, WireType.LengthDelimited).bytes(Uint8Array.of(9, 9));
    w.join();
    w.tag(12, WireType.LengthDelimited).bytes(Uint8Array.of(1, 2, 3));
    // A known field number with an unexpected wire type is skipped, not misread.
    w.tag(1, WireType.LengthDelimited).bytes(Uint8Array.of(0x01));
    assert.deepEqual(decodeStatusProto(w.finish()), {
      code: 14,
      message: "unavailable",
      details: [{ typeUrl: "type.googleapis.com/x.Y", value: Uint8Array.of(9, 9) }],
    });
  });

  it("throws on truncated bytes", () => {
    const bytes = handBuiltStatus();
    assert.throws(() => decodeStatusProto(bytes.subarray(0, bytes.length - 3)));
    assert.throws(() => decodeStatusProto(Uint8Array.of(0x12, 0x05, 0x61)));
  });
});

describe("toErrorDetail, detailTypeName, findDetails", () => {
  it("packs a protobuf-es message given as {desc, value} into an Any", () => {
    const d = toErrorDetail({ desc: DurationSchema, value: { seconds: 3n, nanos: 500 } });
    assert.equal(d.typeUrl, "type.googleapis.com/google.protobuf.Duration");
    // seconds=3: 08 03; nanos=500: 10 f4 03.
    assert.deepEqual(d.value, Uint8Array.of(0x08, 0x03, 0x10, 0xf4, 0x03));
  });

  it("returns a ready Any as it is", () => {
    const ready = { typeUrl: "type.googleapis.com/a.B", value: Uint8Array.of(1) };
    assert.equal(toErrorDetail(ready), ready);
  });

  it("names a detail's type by the part of the URL after the last slash", () => {
    assert.equal(
      detailTypeName({ typeUrl: "type.googleapis.com/google.rpc.ErrorInfo", value: new Uint8Array() }),
      "google.rpc.ErrorInfo",
    );
    assert.equal(detailTypeName({ typeUrl: "example.com/a/b/pkg.T", value: new Uint8Array() }), "pkg.T");
    assert.equal(detailTypeName({ typeUrl: "pkg.T", value: new Uint8Array() }), "pkg.T");
  });

  it("finds and decodes every detail of one message type, in order", () => {
    const details: ErrorDetail[] = [
      duration(1n),
      toErrorDetail({ desc: TimestampSchema, value: { seconds: 100n } }),
      duration(2n, 3),
      {
        typeUrl: "other.host/google.protobuf.Duration",
        value: toBinary(DurationSchema, create(DurationSchema, { seconds: 4n })),
      },
    ];
    const found = findDetails(details, DurationSchema);
    assert.deepEqual(
      found.map((d) => [d.seconds, d.nanos]),
      [
        [1n, 0],
        [2n, 3],
        [4n, 0],
      ],
    );
    assert.equal(found[0]!.$typeName, "google.protobuf.Duration");
    const ts = findDetails(details, TimestampSchema);
    assert.equal(ts.length, 1);
    assert.equal(ts[0]!.seconds, 100n);
    assert.deepEqual(findDetails([], DurationSchema), []);
  });

  it("survives the wire: details packed, encoded, decoded, found", () => {
    const status = encodeStatusProto({
      code: 8,
      message: "slow down",
      details: [toErrorDetail({ desc: DurationSchema, value: { seconds: 30n } })],
    });
    const [retry] = findDetails(decodeStatusProto(status).details, DurationSchema);
    assert.equal(retry?.seconds, 30n);
  });
});
