import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FileRegistry } from "@bufbuild/protobuf";
import { type Channel, Code, createChannel, createServer, type Server } from "@grpc-ts/node";
import { isRpcError } from "@grpc-ts/testing";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { buildRegistry } from "../test-support/registry.js";
import { shopImpl, shopService } from "../test-support/shop.js";
import { addReflection } from "./add-reflection.js";
import { createReflection } from "./reflection.js";
import { createReflectionClient } from "./reflection-client.js";

describe("createReflectionClient", () => {
  let registry: FileRegistry;
  let full: Server;
  let alphaOnly: Server;
  let none: Server;
  let fullChannel: Channel;
  let alphaChannel: Channel;
  let noneChannel: Channel;

  before(async () => {
    registry = await buildRegistry();
    const shop = shopService(registry);
    full = createServer().add(shop, shopImpl());
    addReflection(full, { files: [registry.getFile("acme/shop/v1/ext.proto")!] });
    // A server that only speaks the older protocol version.
    alphaOnly = createServer().add(shop, shopImpl());
    alphaOnly.add(
      ServerReflectionV1alpha,
      createReflection({ services: () => alphaOnly.router.services() }).v1alpha,
    );
    none = createServer().add(shop, shopImpl());
    fullChannel = createChannel(`127.0.0.1:${await full.listen("127.0.0.1:0")}`);
    alphaChannel = createChannel(`127.0.0.1:${await alphaOnly.listen("127.0.0.1:0")}`);
    noneChannel = createChannel(`127.0.0.1:${await none.listen("127.0.0.1:0")}`);
  });

  after(() => {
    for (const c of [fullChannel, alphaChannel, noneChannel]) c?.close();
    for (const s of [full, alphaOnly, none]) s?.forceShutdown();
  });

  it("uses v1 when the server has it", async () => {
    const client = createReflectionClient(fullChannel);
    try {
      assert.equal(client.version, undefined);
      assert.deepEqual(await client.listServices(), [
        "acme.shop.v1.Shop",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
      assert.equal(client.version, "v1");
    } finally {
      client.close();
    }
  });

  it("falls back to v1alpha when the server answers UNIMPLEMENTED for v1", async () => {
    const client = createReflectionClient(alphaChannel);
    try {
      assert.deepEqual(await client.listServices(), [
        "acme.shop.v1.Shop",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
      assert.equal(client.version, "v1alpha");
      const registry = await client.registryFor(["acme.shop.v1.Shop"]);
      assert.equal(registry.getService("acme.shop.v1.Shop")?.methods.length, 4);
    } finally {
      client.close();
    }
  });

  it("does not fall back when a version is chosen, and fails UNIMPLEMENTED without reflection", async () => {
    const v1 = createReflectionClient(alphaChannel, { version: "v1" });
    await assert.rejects(v1.listServices(), isRpcError(Code.UNIMPLEMENTED));
    v1.close();
    const auto = createReflectionClient(noneChannel);
    await assert.rejects(auto.listServices(), isRpcError(Code.UNIMPLEMENTED));
    auto.close();
  });

  it("builds a registry for symbols, fetching imports and looking members up through their parent", async () => {
    const client = createReflectionClient(fullChannel);
    try {
      const reg = await client.registryFor(["acme.shop.v1.Shop.GetItem", "acme.shop.v1.Item.name"]);
      const item = reg.getMessage("acme.shop.v1.Item");
      assert.ok(item !== undefined);
      assert.equal(item.field.created?.message?.typeName, "google.protobuf.Timestamp");
      assert.equal(reg.getMessage("acme.base.v1.Extendable")?.typeName, "acme.base.v1.Extendable");
      // A second registry on the same stream: ext.proto's import (base.proto) was sent before, so
      // the client combines what it has.
      const withExt = await client.registryFor(["acme.shop.v1.shop_note"]);
      assert.equal(withExt.getExtension("acme.shop.v1.shop_note")?.number, 100);
      await assert.rejects(client.registryFor(["no.such.Thing"]), isRpcError(Code.NOT_FOUND));
      // The stream survives a NOT_FOUND.
      assert.deepEqual(await client.allExtensionNumbersOfType("acme.base.v1.Extendable"), [100, 101, 150]);
    } finally {
      client.close();
    }
  });

  it("offers each query of the protocol", async () => {
    const client = createReflectionClient(fullChannel, { version: "v1alpha" });
    try {
      assert.deepEqual(
        (await client.fileByFilename("acme/shop/v1/types.proto")).map((f) => f.name),
        ["acme/shop/v1/types.proto", "acme/base/v1/base.proto", "google/protobuf/timestamp.proto"],
      );
      assert.deepEqual(
        (await client.fileContainingSymbol("acme.shop.v1.Shop")).map((f) => f.name),
        ["acme/shop/v1/shop.proto"],
      );
      assert.deepEqual(
        (await client.fileContainingExtension("acme.base.v1.Extendable", 101)).map((f) => f.name),
        ["acme/shop/v1/ext.proto"],
      );
      await assert.rejects(client.fileByFilename("nope.proto"), isRpcError(Code.NOT_FOUND));
      assert.equal(client.version, "v1alpha");
    } finally {
      client.close();
    }
  });

  it("fails with UNAVAILABLE when the server cannot be reached", async () => {
    const probe = createServer();
    const port = await probe.listen("127.0.0.1:0");
    await probe.shutdown(0);
    const channel = createChannel(`127.0.0.1:${port}`);
    const client = createReflectionClient(channel, { callOptions: { timeoutMs: 5000 } });
    try {
      await assert.rejects(client.listServices(), isRpcError(Code.UNAVAILABLE));
    } finally {
      client.close();
      channel.close();
    }
  });
});
