import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  type Channel,
  Code,
  createChannel,
  createClient,
  createServer,
  createWritableIterable,
  defineService,
  type Server,
} from "@grpc-ts/node";
import { within } from "@grpc-ts/testing";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import {
  type ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { addHealth } from "../health/add-health.js";
import { buildRegistry } from "../test-support/registry.js";
import { shopImpl, shopService } from "../test-support/shop.js";
import { addReflection } from "./add-reflection.js";

/** A query of either version, as plain init objects. */
type Query =
  | {
      case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices";
      value: string;
    }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };
type Answer = ServerReflectionResponse;

/** One reflection stream of either version: `ask` sends a request and reads its response. */
function openStream(channel: Channel, version: "v1" | "v1alpha") {
  const abort = new AbortController();
  const requests = createWritableIterable<{ host: string; messageRequest: Query }>();
  const responses =
    version === "v1"
      ? createClient(ServerReflectionV1, channel).serverReflectionInfo(requests, { signal: abort.signal })
      : createClient(ServerReflectionV1alpha, channel).serverReflectionInfo(requests, {
          signal: abort.signal,
        });
  const it = responses[Symbol.asyncIterator]();
  return {
    async ask(messageRequest: Query, host = ""): Promise<Answer> {
      await requests.write({ host, messageRequest });
      const next = await within<IteratorResult<unknown>>(it.next(), 5000, "the reflection answer");
      assert.equal(next.done, false, "the stream ended");
      return next.value as Answer;
    },
    close() {
      requests.close();
      abort.abort();
    },
  };
}

function fileNames(answer: Answer): string[] {
  return decodeFiles(answer).map((f) => f.name);
}

function decodeFiles(answer: Answer): FileDescriptorProto[] {
  const r = answer.messageResponse;
  assert.equal(r.case, "fileDescriptorResponse", `expected files, got ${JSON.stringify(r)}`);
  return r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

function errorOf(answer: Answer): { errorCode: number; errorMessage: string } {
  const r = answer.messageResponse;
  assert.equal(r.case, "errorResponse", `expected an error, got ${r.case}`);
  return { errorCode: r.value.errorCode, errorMessage: r.value.errorMessage };
}

const Plain = defineService("plain.Hand", {
  ping: {
    kind: "unary",
    request: { serialize: () => new Uint8Array(), deserialize: () => ({}) },
    response: { serialize: () => new Uint8Array(), deserialize: () => ({}) },
  },
});

describe("server reflection", () => {
  let registry: FileRegistry;
  let server: Server;
  let channel: Channel;

  before(async () => {
    registry = await buildRegistry();
    server = createServer();
    server.add(shopService(registry), shopImpl());
    server.add(Plain, { ping: () => ({}) });
    addHealth(server);
    const ext = registry.getFile("acme/shop/v1/ext.proto");
    assert.ok(ext !== undefined);
    addReflection(server, { files: [ext] });
    channel = createChannel(`127.0.0.1:${await server.listen("127.0.0.1:0")}`);
  });

  after(() => {
    channel?.close();
    server?.forceShutdown();
  });

  for (const version of ["v1", "v1alpha"] as const) {
    describe(version, () => {
      it("lists the services that have descriptors, echoing host and request", async () => {
        const s = openStream(channel, version);
        try {
          const answer = await s.ask({ case: "listServices", value: "*" }, "example.com");
          assert.equal(answer.validHost, "example.com");
          assert.deepEqual(answer.originalRequest?.messageRequest, { case: "listServices", value: "*" });
          assert.equal(answer.originalRequest?.host, "example.com");
          const r = answer.messageResponse;
          assert.equal(r.case, "listServicesResponse");
          assert.deepEqual(
            r.value.service.map((x) => x.name),
            [
              "acme.shop.v1.Shop",
              "grpc.health.v1.Health",
              "grpc.reflection.v1.ServerReflection",
              "grpc.reflection.v1alpha.ServerReflection",
            ],
          );
        } finally {
          s.close();
        }
      });

      it("sends a file with its transitive imports, each file once per stream", async () => {
        const s = openStream(channel, version);
        try {
          const first = fileNames(await s.ask({ case: "fileContainingSymbol", value: "acme.shop.v1.Shop" }));
          assert.equal(first[0], "acme/shop/v1/shop.proto");
          assert.deepEqual(first.slice(1).sort(), [
            "acme/base/v1/base.proto",
            "acme/shop/v1/types.proto",
            "google/protobuf/timestamp.proto",
          ]);
          // Asked for again, a file comes alone: its imports were sent already.
          assert.deepEqual(
            fileNames(await s.ask({ case: "fileByFilename", value: "acme/shop/v1/types.proto" })),
            ["acme/shop/v1/types.proto"],
          );
          assert.deepEqual(
            fileNames(await s.ask({ case: "fileContainingSymbol", value: "acme.shop.v1.Shop.GetItem" })),
            ["acme/shop/v1/shop.proto"],
          );
          // ext.proto imports base.proto, which this stream has sent.
          assert.deepEqual(
            fileNames(
              await s.ask({
                case: "fileContainingExtension",
                value: { containingType: "acme.base.v1.Extendable", extensionNumber: 100 },
              }),
            ),
            ["acme/shop/v1/ext.proto"],
          );
        } finally {
          s.close();
        }
        // A new stream starts afresh.
        const t = openStream(channel, version);
        try {
          const names = fileNames(await t.ask({ case: "fileByFilename", value: "acme/shop/v1/types.proto" }));
          assert.deepEqual(names, [
            "acme/shop/v1/types.proto",
            "acme/base/v1/base.proto",
            "google/protobuf/timestamp.proto",
          ]);
        } finally {
          t.close();
        }
      });

      it("finds the file of every kind of symbol", async () => {
        const cases: [string, string][] = [
          ["acme.shop.v1.Shop", "acme/shop/v1/shop.proto"],
          ["acme.shop.v1.Shop.Chat", "acme/shop/v1/shop.proto"],
          ["acme.shop.v1.GetItemRequest", "acme/shop/v1/shop.proto"],
          [".acme.shop.v1.Item", "acme/shop/v1/types.proto"],
          ["acme.shop.v1.Item.Detail", "acme/shop/v1/types.proto"],
          ["acme.shop.v1.Item.Kind", "acme/shop/v1/types.proto"],
          ["acme.shop.v1.Item.KIND_BOOK", "acme/shop/v1/types.proto"],
          ["acme.shop.v1.Item.name", "acme/shop/v1/types.proto"],
          ["acme.shop.v1.Item.price", "acme/shop/v1/types.proto"],
          ["acme.base.v1.Color", "acme/base/v1/base.proto"],
          ["acme.base.v1.COLOR_RED", "acme/base/v1/base.proto"],
          ["acme.shop.v1.shop_note", "acme/shop/v1/ext.proto"],
          ["acme.shop.v1.Holder.flag", "acme/shop/v1/ext.proto"],
          ["google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
          ["grpc.health.v1.Health", "grpc/health/v1/health.proto"],
          ["grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"],
        ];
        for (const [symbol, file] of cases) {
          const s = openStream(channel, version);
          try {
            const names = fileNames(await s.ask({ case: "fileContainingSymbol", value: symbol }));
            assert.equal(names[0], file, symbol);
          } finally {
            s.close();
          }
        }
      });

      it("answers extension queries", async () => {
        const s = openStream(channel, version);
        try {
          const nested = fileNames(
            await s.ask({
              case: "fileContainingExtension",
              value: { containingType: "acme.base.v1.Extendable", extensionNumber: 150 },
            }),
          );
          assert.deepEqual(nested, ["acme/shop/v1/ext.proto", "acme/base/v1/base.proto"]);
          const numbers = (
            await s.ask({ case: "allExtensionNumbersOfType", value: "acme.base.v1.Extendable" })
          ).messageResponse;
          assert.equal(numbers.case, "allExtensionNumbersResponse");
          assert.equal(numbers.value.baseTypeName, "acme.base.v1.Extendable");
          assert.deepEqual(numbers.value.extensionNumber, [100, 101, 150]);
          const none = (await s.ask({ case: "allExtensionNumbersOfType", value: "acme.shop.v1.Item" }))
            .messageResponse;
          assert.equal(none.case, "allExtensionNumbersResponse");
          assert.deepEqual(none.value.extensionNumber, []);
        } finally {
          s.close();
        }
      });

      it("answers what it cannot find with an error response, and the stream goes on", async () => {
        const s = openStream(channel, version);
        try {
          const cases: [Query, number, RegExp][] = [
            [{ case: "fileByFilename", value: "no/such.proto" }, Code.NOT_FOUND, /no\/such\.proto/],
            [{ case: "fileContainingSymbol", value: "no.such.Symbol" }, Code.NOT_FOUND, /no\.such\.Symbol/],
            [{ case: "fileContainingSymbol", value: "plain.Hand" }, Code.NOT_FOUND, /plain\.Hand/],
            [
              {
                case: "fileContainingExtension",
                value: { containingType: "acme.base.v1.Extendable", extensionNumber: 199 },
              },
              Code.NOT_FOUND,
              /199/,
            ] as [Query, number, RegExp],
            [{ case: "allExtensionNumbersOfType", value: "no.Such" }, Code.NOT_FOUND, /no\.Such/],
            [{ case: "allExtensionNumbersOfType", value: "acme.shop.v1.Shop" }, Code.NOT_FOUND, /Shop/],
            [{ case: undefined }, Code.INVALID_ARGUMENT, /no query/],
          ];
          for (const [query, code, message] of cases) {
            const e = errorOf(await s.ask(query));
            assert.equal(e.errorCode, code, JSON.stringify(query));
            assert.match(e.errorMessage, message);
          }
          assert.equal(
            (await s.ask({ case: "listServices", value: "" })).messageResponse.case,
            "listServicesResponse",
          );
        } finally {
          s.close();
        }
      });
    });
  }

  it("sends descriptors from which a client rebuilds the service with its call kinds", async () => {
    const s = openStream(channel, "v1");
    let files: FileDescriptorProto[];
    try {
      files = decodeFiles(await s.ask({ case: "fileContainingSymbol", value: "acme.shop.v1.Shop" }));
    } finally {
      s.close();
    }
    const byName = new Map(files.map((f) => [f.name, f]));
    const rebuilt = createFileRegistry(files[0]!, (name) => byName.get(name));
    const shop = rebuilt.getService("acme.shop.v1.Shop");
    assert.ok(shop !== undefined);
    assert.deepEqual(
      shop.methods.map((m) => [m.name, m.methodKind, m.input.typeName, m.output.typeName]),
      [
        ["GetItem", "unary", "acme.shop.v1.GetItemRequest", "acme.shop.v1.Item"],
        ["ListItems", "server_streaming", "acme.shop.v1.GetItemRequest", "acme.shop.v1.Item"],
        ["AddItems", "client_streaming", "acme.shop.v1.Item", "acme.shop.v1.AddItemsResponse"],
        ["Chat", "bidi_streaming", "acme.shop.v1.Item", "acme.shop.v1.Item"],
      ],
    );
    const item = rebuilt.getMessage("acme.shop.v1.Item");
    assert.deepEqual(
      item?.fields.map((f) => f.name),
      ["name", "origin", "created", "detail", "cents", "free", "labels", "kind"],
    );
  });

  it("describes services added after it, on streams opened after they were added", async () => {
    const late = createServer();
    addReflection(late);
    late.add(Health, {});
    const lateChannel = createChannel(`127.0.0.1:${await late.listen("127.0.0.1:0")}`);
    try {
      const s = openStream(lateChannel, "v1");
      try {
        const r = (await s.ask({ case: "listServices", value: "" })).messageResponse;
        assert.equal(r.case, "listServicesResponse");
        assert.deepEqual(
          r.value.service.map((x) => x.name),
          [
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
            "grpc.health.v1.Health",
          ],
        );
      } finally {
        s.close();
      }
    } finally {
      lateChannel.close();
      late.forceShutdown();
    }
  });

  it("needs a router or a services option", () => {
    assert.throws(() => addReflection({ add: () => undefined }), TypeError);
  });
});
