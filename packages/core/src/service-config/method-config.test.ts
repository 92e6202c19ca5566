import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMethodConfigIndex, findMethodConfig } from "./method-config.js";
import { parseServiceConfig } from "./parse-service-config.js";
import type { MethodConfig, ServiceConfig } from "./service-config.js";

const config = (methodConfigs: readonly MethodConfig[]): ServiceConfig => ({
  loadBalancing: undefined,
  methodConfigs,
});
const mc = (timeoutMs: number, ...names: [service: string, method: string][]): MethodConfig => ({
  names: names.map(([service, method]) => ({ service, method })),
  timeoutMs,
});

const exact = mc(1, ["pkg.Echo", "Say"], ["other.Svc", "Do"]);
const service = mc(2, ["pkg.Echo", ""]);
const fallback = mc(3, ["", ""]);
const full = config([fallback, service, exact]);

describe("createMethodConfigIndex", () => {
  it("prefers the exact method, then the service, then the default", () => {
    const lookup = createMethodConfigIndex(full);
    assert.equal(lookup("/pkg.Echo/Say"), exact);
    assert.equal(lookup("/other.Svc/Do"), exact);
    assert.equal(lookup("/pkg.Echo/Shout"), service);
    assert.equal(lookup("/other.Svc/Undo"), fallback);
    assert.equal(lookup("/pkg.EchoX/Say"), fallback);
    assert.equal(lookup("/pkg.Ech/Say"), fallback);
  });

  it("gives the same answer on every lookup of a path", () => {
    const lookup = createMethodConfigIndex(full);
    for (let i = 0; i < 3; i++) {
      assert.equal(lookup("/pkg.Echo/Say"), exact);
      assert.equal(lookup("/pkg.Echo/Shout"), service);
      assert.equal(lookup("/x.Y/Z"), fallback);
    }
  });

  it("answers undefined where nothing matches, every time", () => {
    const lookup = createMethodConfigIndex(config([exact, service]));
    for (let i = 0; i < 2; i++) {
      assert.equal(lookup("/x.Y/Z"), undefined);
      assert.equal(lookup("/pkg.Echo/Say"), exact);
    }
  });

  it("answers undefined for a config without method configs", () => {
    const lookup = createMethodConfigIndex(config([]));
    assert.equal(lookup("/pkg.Echo/Say"), undefined);
  });

  it("answers the default for every path of a config with only a default", () => {
    const lookup = createMethodConfigIndex(config([fallback]));
    assert.equal(lookup("/pkg.Echo/Say"), fallback);
    assert.equal(lookup("anything"), fallback);
  });

  it("never matches a method config without names", () => {
    const nameless = mc(9);
    const lookup = createMethodConfigIndex(config([nameless, exact]));
    assert.equal(lookup("/pkg.Echo/Say"), exact);
    assert.equal(lookup("/pkg.Echo/Other"), undefined);
  });

  it("matches only the default for paths not of the /service/method form", () => {
    const lookup = createMethodConfigIndex(full);
    for (const path of ["", "/", "//Say", "pkg.Echo/Say", "/pkg.Echo", "pkg.Echo"]) {
      assert.equal(lookup(path), fallback, path);
    }
    // "/pkg.Echo/" names the service with an empty method
    assert.equal(lookup("/pkg.Echo/"), service);
  });

  it("takes the first of names given twice (a hand-made config; parsed ones reject it)", () => {
    const first = mc(10, ["s", "m"], ["s", ""], ["", ""]);
    const second = mc(11, ["s", "m"], ["s", ""], ["", ""]);
    const lookup = createMethodConfigIndex(config([first, second]));
    assert.equal(lookup("/s/m"), first);
    assert.equal(lookup("/s/n"), first);
    assert.equal(lookup("/t/n"), first);
  });

  it("stays right past the number of paths it remembers", () => {
    const lookup = createMethodConfigIndex(full);
    for (let i = 0; i < 5000; i++) {
      assert.equal(lookup(`/svc${i}/M`), fallback);
      assert.equal(lookup(`/pkg.Echo/M${i}`), service);
    }
    assert.equal(lookup("/pkg.Echo/Say"), exact);
    assert.equal(lookup("/pkg.Echo/New"), service);
  });
});

describe("findMethodConfig", () => {
  it("looks up like the index, for a parsed config", () => {
    const parsed = parseServiceConfig(
      {
        methodConfig: [
          { name: [{}], timeout: "3s" },
          { name: [{ service: "pkg.Echo" }], timeout: "2s" },
          { name: [{ service: "pkg.Echo", method: "Say" }], timeout: "1s" },
        ],
      },
      () => undefined,
    );
    assert.equal(findMethodConfig(parsed, "/pkg.Echo/Say")?.timeoutMs, 1000);
    assert.equal(findMethodConfig(parsed, "/pkg.Echo/Shout")?.timeoutMs, 2000);
    assert.equal(findMethodConfig(parsed, "/other.Svc/Do")?.timeoutMs, 3000);
    assert.equal(findMethodConfig(parsed, "/pkg.Echo/Say"), parsed.methodConfigs[2]);
  });

  it("keeps each config's answers apart", () => {
    const a = config([mc(1, ["s", "m"])]);
    const b = config([mc(2, ["s", "m"])]);
    assert.equal(findMethodConfig(a, "/s/m")?.timeoutMs, 1);
    assert.equal(findMethodConfig(b, "/s/m")?.timeoutMs, 2);
    assert.equal(findMethodConfig(a, "/s/m")?.timeoutMs, 1);
    assert.equal(findMethodConfig(config([]), "/s/m"), undefined);
  });
});
