import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  MethodOptions_IdempotencyLevel,
} from "@bufbuild/protobuf/wkt";
import { text } from "@grpc-ts/testing/text-echo";
import { Code } from "./code.js";
import { defineService, methodCodec, type Serializer, toServiceDefinition } from "./method.js";
import { RpcError } from "./rpc-error.js";

const num: Serializer<number> = {
  serialize: (n) => Uint8Array.of(n),
  deserialize: (b) => b[0]!,
};

/** A proto3 file with two messages and a service with all four kinds, built at run time (no codegen). */
function echoService(): DescService {
  const { STRING, INT32 } = FieldDescriptorProto_Type;
  const { OPTIONAL } = FieldDescriptorProto_Label;
  const file = create(FileDescriptorProtoSchema, {
    name: "test/v1/echo.proto",
    package: "test.v1",
    syntax: "proto3",
    messageType: [
      {
        name: "EchoRequest",
        field: [
          { name: "user_name", number: 1, type: STRING, label: OPTIONAL, jsonName: "userName" },
          { name: "count", number: 2, type: INT32, label: OPTIONAL, jsonName: "count" },
        ],
      },
      {
        name: "EchoResponse",
        field: [{ name: "reply", number: 1, type: STRING, label: OPTIONAL, jsonName: "reply" }],
      },
    ],
    service: [
      {
        name: "EchoService",
        method: [
          {
            name: "Echo",
            inputType: ".test.v1.EchoRequest",
            outputType: ".test.v1.EchoResponse",
            options: { idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS },
          },
          {
            name: "ServerEcho",
            inputType: ".test.v1.EchoRequest",
            outputType: ".test.v1.EchoResponse",
            serverStreaming: true,
            options: { idempotencyLevel: MethodOptions_IdempotencyLevel.IDEMPOTENT },
          },
          {
            name: "ClientEcho",
            inputType: ".test.v1.EchoRequest",
            outputType: ".test.v1.EchoResponse",
            clientStreaming: true,
          },
          {
            name: "BidiEcho",
            inputType: ".test.v1.EchoRequest",
            outputType: ".test.v1.EchoResponse",
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  });
  const registry = createFileRegistry(file, () => undefined);
  const service = registry.getService("test.v1.EchoService");
  assert.ok(service, "service in registry");
  return service;
}

describe("defineService", () => {
  const svc = defineService("hello.Greeter", {
    sayHello: { kind: "unary", request: text, response: text },
    lotsOfReplies: { kind: "server_streaming", request: text, response: num },
    lotsOfGreetings: { kind: "client_streaming", request: num, response: text },
    bidiHello: {
      kind: "bidi_streaming",
      name: "BidiHELLO",
      request: text,
      response: text,
      codecs: { json: { request: text, response: text } },
    },
  });

  it("keeps the service name", () => {
    assert.equal(svc.typeName, "hello.Greeter");
    assert.deepEqual(Object.keys(svc.methods), ["sayHello", "lotsOfReplies", "lotsOfGreetings", "bidiHello"]);
  });

  it("names methods by the key with an upper-case first letter, or the given name, and builds paths", () => {
    assert.equal(svc.methods.sayHello.name, "SayHello");
    assert.equal(svc.methods.sayHello.path, "/hello.Greeter/SayHello");
    assert.equal(svc.methods.lotsOfReplies.path, "/hello.Greeter/LotsOfReplies");
    assert.equal(svc.methods.lotsOfGreetings.path, "/hello.Greeter/LotsOfGreetings");
    assert.equal(svc.methods.bidiHello.name, "BidiHELLO");
    assert.equal(svc.methods.bidiHello.path, "/hello.Greeter/BidiHELLO");
    for (const m of Object.values(svc.methods)) assert.equal(m.service, "hello.Greeter");
  });

  it("sets kind and stream flags", () => {
    const flags = Object.values(svc.methods).map((m) => [m.kind, m.requestStream, m.responseStream]);
    assert.deepEqual(flags, [
      ["unary", false, false],
      ["server_streaming", false, true],
      ["client_streaming", true, false],
      ["bidi_streaming", true, true],
    ]);
  });

  it("puts the serializers under the proto codec, with extra codecs beside it", () => {
    assert.equal(svc.methods.sayHello.codecs.proto.request, text);
    assert.equal(svc.methods.lotsOfReplies.codecs.proto.response, num);
    assert.deepEqual(Object.keys(svc.methods.sayHello.codecs), ["proto"]);
    assert.deepEqual(Object.keys(svc.methods.bidiHello.codecs).sort(), ["json", "proto"]);
    assert.equal(svc.methods.bidiHello.codecs.json?.request, text);
    assert.equal(svc.methods.sayHello.desc, undefined);
  });

  it("is returned as it is by toServiceDefinition", () => {
    assert.equal(toServiceDefinition(svc), svc);
  });

  it("methodCodec finds a codec or fails with UNIMPLEMENTED", () => {
    assert.equal(methodCodec(svc.methods.bidiHello, "json").request, text);
    assert.equal(methodCodec(svc.methods.sayHello, "proto").response, text);
    assert.throws(
      () => methodCodec(svc.methods.sayHello, "json"),
      (e: unknown) =>
        e instanceof RpcError &&
        e.code === Code.UNIMPLEMENTED &&
        e.rawMessage.includes("/hello.Greeter/SayHello"),
    );
  });
});

describe("toServiceDefinition of a protobuf-es service", () => {
  const desc = echoService();
  const def = toServiceDefinition(desc);

  it("names the service and its methods by local (camelCase) name", () => {
    assert.equal(def.typeName, "test.v1.EchoService");
    assert.equal(def.desc, desc);
    assert.deepEqual(Object.keys(def.methods), ["echo", "serverEcho", "clientEcho", "bidiEcho"]);
  });

  it("builds the /package.Service/Method paths", () => {
    assert.deepEqual(
      Object.values(def.methods).map((m) => m.path),
      [
        "/test.v1.EchoService/Echo",
        "/test.v1.EchoService/ServerEcho",
        "/test.v1.EchoService/ClientEcho",
        "/test.v1.EchoService/BidiEcho",
      ],
    );
    for (const m of Object.values(def.methods)) {
      assert.equal(m.service, "test.v1.EchoService");
      assert.equal(m.desc?.parent, desc);
    }
    assert.equal(def.methods.echo!.name, "Echo");
  });

  it("takes kinds and stream flags from the descriptor", () => {
    assert.deepEqual(
      Object.values(def.methods).map((m) => [m.kind, m.requestStream, m.responseStream]),
      [
        ["unary", false, false],
        ["server_streaming", false, true],
        ["client_streaming", true, false],
        ["bidi_streaming", true, true],
      ],
    );
  });

  it("takes the idempotency level from the method options", () => {
    assert.equal(def.methods.echo!.idempotency, "no_side_effects");
    assert.equal(def.methods.serverEcho!.idempotency, "idempotent");
    assert.equal(def.methods.clientEcho!.idempotency, undefined);
    assert.equal("idempotency" in def.methods.clientEcho!, false);
  });

  it("serializes with the proto codec to the exact wire bytes, and back", () => {
    const codec = methodCodec(def.methods.echo!, "proto");
    const bytes = codec.request.serialize({ userName: "x", count: 3 });
    // field 1 (string) "x": 0a 01 78; field 2 (varint) 3: 10 03.
    assert.deepEqual(bytes, Uint8Array.of(0x0a, 0x01, 0x78, 0x10, 0x03));
    const back = codec.request.deserialize(bytes) as { $typeName: string; userName: string; count: number };
    assert.equal(back.$typeName, "test.v1.EchoRequest");
    assert.equal(back.userName, "x");
    assert.equal(back.count, 3);
    const res = codec.response.deserialize(codec.response.serialize({ reply: "héllo" })) as { reply: string };
    assert.equal(res.reply, "héllo");
    // Defaults are not written (proto3).
    assert.deepEqual(codec.request.serialize({}), new Uint8Array(0));
  });

  it("serializes with the json codec using JSON names, and back", () => {
    const codec = methodCodec(def.methods.bidiEcho!, "json");
    const bytes = codec.request.serialize({ userName: "ann", count: 2 });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), { userName: "ann", count: 2 });
    const back = codec.request.deserialize(bytes) as { userName: string; count: number };
    assert.equal(back.userName, "ann");
    assert.equal(back.count, 2);
    // Proto field names are accepted too, and unknown fields are ignored.
    const lenient = codec.request.deserialize(new TextEncoder().encode('{"user_name":"bo","extra":1}')) as {
      userName: string;
    };
    assert.equal(lenient.userName, "bo");
    assert.throws(() => codec.request.deserialize(new TextEncoder().encode("{not json")));
    assert.throws(() => codec.request.deserialize(Uint8Array.of(0xff, 0xfe)), "invalid UTF-8 is rejected");
  });

  it("computes the definition once per service object", () => {
    assert.equal(toServiceDefinition(desc), def);
    assert.equal(toServiceDefinition(desc).methods.echo, def.methods.echo);
    // Another descriptor object for the same service gets its own definition.
    const other = echoService();
    assert.notEqual(toServiceDefinition(other), def);
    assert.equal(toServiceDefinition(other).typeName, def.typeName);
  });
});
