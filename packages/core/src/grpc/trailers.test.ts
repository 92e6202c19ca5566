import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { base64Decode } from "../base64.js";
import { Code } from "../code.js";
import { decodeStatusProto, findDetails } from "../error-detail.js";
import { fieldsToObject, fieldValue } from "../header-fields.js";
import { Metadata } from "../metadata.js";
import { RpcError } from "../rpc-error.js";
import { statusFromTrailers, statusToTrailers } from "./trailers.js";

describe("statusToTrailers", () => {
  it("sends grpc-status 0 and the trailer metadata for OK", () => {
    const trailer = new Metadata({ "x-t": "1", "t-bin": Uint8Array.of(0xff) });
    assert.deepEqual(statusToTrailers(undefined, trailer), ["grpc-status", "0", "x-t", "1", "t-bin", "/w"]);
    assert.deepEqual(statusToTrailers(undefined, undefined), ["grpc-status", "0"]);
    assert.deepEqual(statusToTrailers(undefined, new Metadata()), ["grpc-status", "0"]);
  });

  it("sends the code, the percent-encoded message, and the error's metadata", () => {
    const err = new RpcError(Code.NOT_FOUND, "no feature at 100% — sorry", {
      metadata: new Metadata({ "x-e": "e" }),
    });
    assert.deepEqual(statusToTrailers(err, new Metadata({ "x-t": "t" })), [
      "grpc-status",
      "5",
      "grpc-message",
      "no feature at 100%25 %E2%80%94 sorry",
      "x-e",
      "e",
      "x-t",
      "t",
    ]);
  });

  it("leaves out an empty message and empty details", () => {
    assert.deepEqual(statusToTrailers(new RpcError(Code.CANCELLED), undefined), ["grpc-status", "1"]);
  });

  it("sends details as unpadded base64 of a google.rpc.Status with code, message and details", () => {
    const err = new RpcError(Code.RESOURCE_EXHAUSTED, "slow down", {
      details: [{ desc: DurationSchema, value: { seconds: 7n } }],
    });
    const out = statusToTrailers(err, undefined);
    const bin = fieldValue(out, "grpc-status-details-bin");
    assert.equal(typeof bin, "string");
    assert.doesNotMatch(bin as string, /=/);
    const status = decodeStatusProto(base64Decode(bin as string));
    assert.equal(status.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(status.message, "slow down");
    assert.equal(findDetails(status.details, DurationSchema)[0]?.seconds, 7n);
  });
});

describe("statusFromTrailers", () => {
  it("is undefined for OK and fills the trailer metadata", () => {
    const trailer = new Metadata();
    const err = statusFromTrailers(
      { "grpc-status": "0", "x-t": "1", "content-type": "application/grpc" },
      trailer,
    );
    assert.equal(err, undefined);
    assert.deepEqual(trailer.toJSON(), { "x-t": "1" });
  });

  it("treats a numeric 0 and a list's first value like the text", () => {
    assert.equal(statusFromTrailers({ "grpc-status": 0 }, new Metadata()), undefined);
    assert.equal(statusFromTrailers({ "grpc-status": ["0", "5"] }, new Metadata()), undefined);
    assert.equal(statusFromTrailers({ "grpc-status": 5 }, new Metadata())?.code, Code.NOT_FOUND);
  });

  it("never returns an error whose code is OK (leading zeros read as OK)", () => {
    for (const raw of ["00", "000"]) {
      const err = statusFromTrailers({ "grpc-status": raw, "grpc-message": "m" }, new Metadata());
      assert.equal(err, undefined, `${raw} gave ${String(err)}`);
    }
  });

  it("makes an RpcError with code, decoded message, metadata and details", () => {
    const trailer = new Metadata();
    const err = statusFromTrailers(
      {
        "grpc-status": "14",
        "grpc-message": "try %C3%A9lsewhere",
        "x-retry": "soon",
        "trace-bin": "AAEC",
      },
      trailer,
    );
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, Code.UNAVAILABLE);
    assert.equal(err.rawMessage, "try élsewhere");
    assert.equal(err.message, "[UNAVAILABLE] try élsewhere");
    assert.equal(err.metadata, trailer);
    assert.equal(trailer.get("x-retry"), "soon");
    assert.deepEqual(trailer.get("trace-bin"), Uint8Array.of(0, 1, 2));
    assert.equal(trailer.has("grpc-status"), false);
    assert.equal(trailer.has("grpc-message"), false);
  });

  it("appends to metadata already in the trailer (trailers-only after headers)", () => {
    const trailer = new Metadata({ "x-a": "1" });
    statusFromTrailers({ "grpc-status": "0", "x-a": "2" }, trailer);
    assert.deepEqual(trailer.getAll("x-a"), ["1", "2"]);
  });

  it("is INTERNAL when grpc-status is missing, with the metadata", () => {
    const trailer = new Metadata();
    const err = statusFromTrailers({ "grpc-message": "hm", "x-t": "1" }, trailer);
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(err.metadata.get("x-t"), "1");
  });

  it("is UNKNOWN for a non-numeric or out-of-range grpc-status, keeping the message", () => {
    for (const raw of ["abc", "", "-1", "1.0", " 5", "5 ", "0x5", "17", "99", "1e1"]) {
      const err = statusFromTrailers({ "grpc-status": raw, "grpc-message": "why%21" }, new Metadata());
      assert.ok(err instanceof RpcError, raw);
      assert.equal(err.code, Code.UNKNOWN, JSON.stringify(raw));
      assert.match(err.rawMessage, /why!/);
    }
  });

  it("drops undecodable details but keeps code and message", () => {
    for (const bin of ["!!!", "AQ", "/w"]) {
      const err = statusFromTrailers(
        { "grpc-status": "3", "grpc-message": "bad", "grpc-status-details-bin": bin },
        new Metadata(),
      );
      assert.equal(err?.code, Code.INVALID_ARGUMENT, bin);
      assert.equal(err?.rawMessage, "bad");
      assert.deepEqual(err?.details, []);
    }
  });

  it("round-trips with statusToTrailers: code, message, details and metadata", () => {
    const metadata = new Metadata({ "x-e": ["1", "2"], "e-bin": Uint8Array.of(0, 255, 7) });
    const sent = new RpcError(Code.FAILED_PRECONDITION, "état: 50% ✓\nnext line", {
      metadata,
      details: [
        { desc: DurationSchema, value: { seconds: 3n, nanos: 4 } },
        { typeUrl: "type.googleapis.com/custom.Info", value: Uint8Array.of(1, 2, 3) },
      ],
    });
    const trailers = statusToTrailers(sent, new Metadata({ "x-t": "t" }));
    const trailer = new Metadata();
    const got = statusFromTrailers(fieldsToObject(trailers), trailer);
    assert.ok(got instanceof RpcError);
    assert.equal(got.code, sent.code);
    assert.equal(got.rawMessage, sent.rawMessage);
    assert.deepEqual(got.details, sent.details);
    assert.deepEqual(got.metadata.getAll("x-e"), ["1", "2"]);
    assert.deepEqual(got.metadata.get("e-bin"), Uint8Array.of(0, 255, 7));
    assert.equal(got.metadata.get("x-t"), "t");
    assert.equal(got.metadata.has("grpc-status-details-bin"), false);
    const [d] = findDetails(got.details, DurationSchema);
    assert.equal(d?.nanos, 4);
  });

  it("round-trips every code", () => {
    for (let code = 1; code <= 16; code++) {
      const got = statusFromTrailers(
        fieldsToObject(statusToTrailers(new RpcError(code as Code, `m${code}`), undefined)),
        new Metadata(),
      );
      assert.equal(got?.code, code);
      assert.equal(got?.rawMessage, `m${code}`);
    }
  });
});

describe("statusToTrailers with metadata on both the error and the call", () => {
  it("keeps every value of a key present in both", () => {
    const err = new RpcError(Code.ABORTED, "x", { metadata: new Metadata({ k: "from-error", only: "e" }) });
    const out = statusToTrailers(err, new Metadata({ k: "from-trailer" }));
    assert.deepEqual(fieldsToObject(out).k, ["from-error", "from-trailer"]);
    assert.equal(fieldValue(out, "only"), "e");
    // The error's own metadata is not changed by the merge.
    assert.deepEqual(err.metadata.getAll("k"), ["from-error"]);
  });
});
