import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PolicyConfigParser, parseServiceConfig } from "./parse-service-config.js";
import { ServiceConfigError } from "./service-config-error.js";

// --- a fake policy registry ---

function fakePolicy(name: string, parseConfig: (json: unknown) => unknown): PolicyConfigParser {
  return { name, parseConfig };
}

const pickFirst = fakePolicy("pick_first", (json) => {
  const { shuffleAddressList } = json as { shuffleAddressList?: unknown };
  if (shuffleAddressList !== undefined && typeof shuffleAddressList !== "boolean") {
    throw new TypeError("shuffleAddressList: must be a boolean");
  }
  return { shuffleAddressList: shuffleAddressList === true };
});
const roundRobin = fakePolicy("round_robin", () => ({}));
const registry = new Map([pickFirst, roundRobin].map((f) => [f.name, f]));
const policies = (name: string) => registry.get(name);

const parse = (doc: unknown) => parseServiceConfig(doc, policies);

function rejects(doc: unknown, message: string | RegExp): void {
  assert.throws(
    () => parse(doc),
    (e: unknown) => {
      assert.ok(e instanceof ServiceConfigError, `not a ServiceConfigError: ${String(e)}`);
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

/** A document with one method config holding `fields` (plus a name). */
const withMethod = (fields: Record<string, unknown>) => ({
  methodConfig: [{ name: [{ service: "s" }], ...fields }],
});

const retry = {
  maxAttempts: 4,
  initialBackoff: ".1s",
  maxBackoff: "1s",
  backoffMultiplier: 2,
  retryableStatusCodes: ["UNAVAILABLE"],
};

describe("parseServiceConfig: valid documents", () => {
  it("reads the example of service_config.md", () => {
    const text = `{
      "loadBalancingConfig": [ { "round_robin": {} } ],
      "methodConfig": [
        {
          "name": [
            { "service": "foo", "method": "bar" },
            { "service": "baz" }
          ],
          "timeout": "1.000000001s"
        }
      ]
    }`;
    assert.deepEqual(parse(text), {
      loadBalancing: { name: "round_robin", config: {} },
      methodConfigs: [
        {
          names: [
            { service: "foo", method: "bar" },
            { service: "baz", method: "" },
          ],
          timeoutMs: 1000.000001,
        },
      ],
    });
  });

  it("reads an empty document as no choices at all", () => {
    assert.deepEqual(parse("{}"), { loadBalancing: undefined, methodConfigs: [] });
    assert.deepEqual(parse({}), { loadBalancing: undefined, methodConfigs: [] });
  });

  it("reads every field, in lowerCamelCase", () => {
    const doc = {
      loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }],
      methodConfig: [
        {
          name: [{ service: "pkg.Echo", method: "Say" }],
          timeout: "2.5s",
          waitForReady: true,
          maxRequestMessageBytes: 1024,
          maxResponseMessageBytes: "4194304",
          retryPolicy: {
            ...retry,
            maxAttempts: 7,
            retryableStatusCodes: ["UNAVAILABLE", "resource_exhausted", 10],
          },
        },
        {
          name: [{}],
          waitForReady: false,
          hedgingPolicy: { maxAttempts: 3, hedgingDelay: "0.5s", nonFatalStatusCodes: ["INTERNAL"] },
        },
      ],
      retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      healthCheckConfig: { serviceName: "pkg.Echo" },
    };
    assert.deepEqual(parse(doc), {
      loadBalancing: { name: "pick_first", config: { shuffleAddressList: true } },
      methodConfigs: [
        {
          names: [{ service: "pkg.Echo", method: "Say" }],
          timeoutMs: 2500,
          waitForReady: true,
          maxRequestMessageBytes: 1024,
          maxResponseMessageBytes: 4194304,
          retryPolicy: {
            maxAttempts: 7, // kept as given; the retry code caps it
            initialBackoffMs: 100,
            maxBackoffMs: 1000,
            backoffMultiplier: 2,
            retryableStatusCodes: [14, 8, 10],
          },
        },
        {
          names: [{ service: "", method: "" }],
          waitForReady: false,
          hedgingPolicy: { maxAttempts: 3, hedgingDelayMs: 500, nonFatalStatusCodes: [13] },
        },
      ],
      retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      healthCheck: { serviceName: "pkg.Echo" },
    });
  });

  it("reads the same document in snake_case", () => {
    const camel = {
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [
        {
          name: [{ service: "s", method: "m" }],
          waitForReady: true,
          maxRequestMessageBytes: 1,
          maxResponseMessageBytes: 2,
          retryPolicy: retry,
        },
        {
          name: [{ service: "t" }],
          hedgingPolicy: { maxAttempts: 2, hedgingDelay: "1s", nonFatalStatusCodes: [14] },
        },
      ],
      retryThrottling: { maxTokens: 5, tokenRatio: 0.5 },
      healthCheckConfig: { serviceName: "" },
    };
    const snake = {
      load_balancing_config: [{ round_robin: {} }],
      method_config: [
        {
          name: [{ service: "s", method: "m" }],
          wait_for_ready: true,
          max_request_message_bytes: 1,
          max_response_message_bytes: 2,
          retry_policy: {
            max_attempts: 4,
            initial_backoff: ".1s",
            max_backoff: "1s",
            backoff_multiplier: 2,
            retryable_status_codes: ["UNAVAILABLE"],
          },
        },
        {
          name: [{ service: "t" }],
          hedging_policy: { max_attempts: 2, hedging_delay: "1s", non_fatal_status_codes: [14] },
        },
      ],
      retry_throttling: { max_tokens: 5, token_ratio: 0.5 },
      health_check_config: { service_name: "" },
    };
    assert.deepEqual(parse(snake), parse(camel));
    assert.deepEqual(parse(camel).healthCheck, { serviceName: "" });
  });

  it("ignores unknown fields at every level", () => {
    const doc = {
      futureTopLevel: { anything: [1, 2] },
      methodConfig: [
        { name: [{ service: "s", extra: 1 }], futureField: "x", retryPolicy: { ...retry, jitter: 0.2 } },
      ],
      retryThrottling: { maxTokens: 1, tokenRatio: 1, other: true },
      healthCheckConfig: { serviceName: "h", interval: "1s" },
    };
    const config = parse(doc);
    assert.equal(config.methodConfigs[0]!.retryPolicy!.maxAttempts, 4);
    assert.deepEqual(config.healthCheck, { serviceName: "h" });
  });

  it("treats null as absent", () => {
    const doc = {
      loadBalancingConfig: null,
      methodConfig: [{ name: [{ service: "s", method: null }], timeout: null, retryPolicy: null }],
      retryThrottling: null,
      healthCheckConfig: null,
    };
    assert.deepEqual(parse(doc), {
      loadBalancing: undefined,
      methodConfigs: [{ names: [{ service: "s", method: "" }] }],
    });
  });

  it("reads wrappers and numbers given as decimal strings", () => {
    const config = parse(
      withMethod({
        maxRequestMessageBytes: "0",
        retryPolicy: { ...retry, maxAttempts: "3", backoffMultiplier: "1.5" },
      }),
    );
    const mc = config.methodConfigs[0]!;
    assert.equal(mc.maxRequestMessageBytes, 0);
    assert.equal(mc.retryPolicy!.maxAttempts, 3);
    assert.equal(mc.retryPolicy!.backoffMultiplier, 1.5);
  });

  it("defaults the hedging delay to 0 and the non-fatal codes to none", () => {
    assert.deepEqual(
      parse(withMethod({ hedgingPolicy: { maxAttempts: 2 } })).methodConfigs[0]!.hedgingPolicy,
      {
        maxAttempts: 2,
        hedgingDelayMs: 0,
        nonFatalStatusCodes: [],
      },
    );
  });

  it("keeps a method config without names (it matches nothing)", () => {
    assert.deepEqual(
      parse({ methodConfig: [{ timeout: "1s" }, { name: [], timeout: "2s" }] }).methodConfigs,
      [
        { names: [], timeoutMs: 1000 },
        { names: [], timeoutMs: 2000 },
      ],
    );
  });

  it("accepts a zero timeout", () => {
    assert.equal(parse(withMethod({ timeout: "0s" })).methodConfigs[0]!.timeoutMs, 0);
  });

  it("keeps 3 decimal places of tokenRatio", () => {
    const ratio = (tokenRatio: unknown) =>
      parse({ retryThrottling: { maxTokens: 10, tokenRatio } }).retryThrottling;
    assert.deepEqual(ratio(0.1), { maxTokens: 10, tokenRatio: 0.1 });
    assert.equal(ratio(1.005)!.tokenRatio, 1.005);
    assert.equal(ratio(0.0019)!.tokenRatio, 0.001);
    assert.equal(ratio(0.12345)!.tokenRatio, 0.123);
    assert.equal(ratio(2.5)!.tokenRatio, 2.5);
    assert.equal(ratio("0.25")!.tokenRatio, 0.25);
    assert.equal(
      parse({ retryThrottling: { maxTokens: 1000, tokenRatio: 1 } }).retryThrottling!.maxTokens,
      1000,
    );
  });

  it("leaves health checking off for a healthCheckConfig without serviceName", () => {
    assert.equal(parse({ healthCheckConfig: {} }).healthCheck, undefined);
  });
});

describe("parseServiceConfig: load-balancing policy", () => {
  it("takes the first known policy of loadBalancingConfig", () => {
    const doc = {
      loadBalancingConfig: [{ grpclb: {} }, { round_robin: {} }, { pick_first: {} }],
    };
    assert.deepEqual(parse(doc).loadBalancing, { name: "round_robin", config: {} });
  });

  it("validates only the chosen policy's config", () => {
    const doc = { loadBalancingConfig: [{ round_robin: {} }, { pick_first: { shuffleAddressList: "yes" } }] };
    assert.deepEqual(parse(doc).loadBalancing, { name: "round_robin", config: {} });
  });

  it("passes the chosen policy's config to its parseConfig and keeps the result", () => {
    const doc = { loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }] };
    assert.deepEqual(parse(doc).loadBalancing, { name: "pick_first", config: { shuffleAddressList: true } });
  });

  it("reads the deprecated loadBalancingPolicy in any case when loadBalancingConfig is absent", () => {
    assert.deepEqual(parse({ loadBalancingPolicy: "round_robin" }).loadBalancing, {
      name: "round_robin",
      config: {},
    });
    assert.deepEqual(parse({ loadBalancingPolicy: "ROUND_ROBIN" }).loadBalancing, {
      name: "round_robin",
      config: {},
    });
    assert.deepEqual(parse({ load_balancing_policy: "Pick_First" }).loadBalancing, {
      name: "pick_first",
      config: { shuffleAddressList: false },
    });
  });

  it("prefers loadBalancingConfig to loadBalancingPolicy", () => {
    const doc = { loadBalancingPolicy: "round_robin", loadBalancingConfig: [{ pick_first: {} }] };
    assert.equal(parse(doc).loadBalancing!.name, "pick_first");
    // and ignores even a loadBalancingPolicy it does not know
    const unknown = { loadBalancingPolicy: "nonesuch", loadBalancingConfig: [{ pick_first: {} }] };
    assert.equal(parse(unknown).loadBalancing!.name, "pick_first");
  });

  it("treats an empty loadBalancingConfig as absent", () => {
    assert.equal(parse({ loadBalancingConfig: [] }).loadBalancing, undefined);
    assert.equal(
      parse({ loadBalancingConfig: [], loadBalancingPolicy: "round_robin" }).loadBalancing!.name,
      "round_robin",
    );
  });

  it("rejects a list with no known policy", () => {
    rejects(
      { loadBalancingConfig: [{ grpclb: {} }, { weighted_round_robin: {} }] },
      "loadBalancingConfig: names no known load-balancing policy (grpclb, weighted_round_robin)",
    );
  });

  it("rejects a config the chosen policy's parseConfig rejects", () => {
    rejects(
      { loadBalancingConfig: [{ nonesuch: {} }, { pick_first: { shuffleAddressList: "yes" } }] },
      "loadBalancingConfig[1].pick_first: shuffleAddressList: must be a boolean",
    );
    const cause = new TypeError("boom");
    const throwing = fakePolicy("throwing", () => {
      throw cause;
    });
    assert.throws(
      () =>
        parseServiceConfig({ loadBalancingConfig: [{ throwing: {} }] }, (n) =>
          n === "throwing" ? throwing : undefined,
        ),
      (e: unknown) =>
        e instanceof ServiceConfigError &&
        e.message === "loadBalancingConfig[0].throwing: boom" &&
        e.cause === cause,
    );
  });

  it("puts the path of a ServiceConfigError from parseConfig under the policy's path", () => {
    const nested = fakePolicy("nested", () => {
      throw new ServiceConfigError("childPolicy[0]", "must be an object");
    });
    const lookup = (n: string) => (n === "nested" ? nested : undefined);
    assert.throws(
      () => parseServiceConfig({ loadBalancingConfig: [{ nested: {} }] }, lookup),
      (e: unknown) =>
        e instanceof ServiceConfigError &&
        e.path === "loadBalancingConfig[0].nested.childPolicy[0]" &&
        e.reason === "must be an object",
    );
    assert.throws(
      () => parseServiceConfig({ loadBalancingPolicy: "nested" }, lookup),
      (e: unknown) => e instanceof ServiceConfigError && e.path === "loadBalancingPolicy.childPolicy[0]",
    );
  });

  it("rejects a deprecated loadBalancingPolicy it does not know, or of the wrong type", () => {
    rejects({ loadBalancingPolicy: "grpclb" }, 'loadBalancingPolicy: unknown load-balancing policy "grpclb"');
    rejects({ loadBalancingPolicy: "" }, 'loadBalancingPolicy: unknown load-balancing policy ""');
    rejects({ loadBalancingPolicy: 1 }, "loadBalancingPolicy: must be a string");
  });

  it("rejects malformed entries of loadBalancingConfig", () => {
    rejects({ loadBalancingConfig: { round_robin: {} } }, "loadBalancingConfig: must be a list");
    rejects({ loadBalancingConfig: ["round_robin"] }, "loadBalancingConfig[0]: must be an object");
    rejects(
      { loadBalancingConfig: [{}] },
      /^loadBalancingConfig\[0\]: must name exactly one policy .*not 0$/,
    );
    rejects(
      { loadBalancingConfig: [{ round_robin: {}, pick_first: {} }] },
      /^loadBalancingConfig\[0\]: must name exactly one policy .*not 2$/,
    );
    rejects(
      { loadBalancingConfig: [{ round_robin: [] }] },
      "loadBalancingConfig[0].round_robin: must be an object",
    );
    rejects(
      { loadBalancingConfig: [{ round_robin: null }] },
      "loadBalancingConfig[0].round_robin: must be an object",
    );
    // entries after the chosen one must still be well formed
    rejects({ loadBalancingConfig: [{ round_robin: {} }, 7] }, "loadBalancingConfig[1]: must be an object");
  });
});

describe("parseServiceConfig: invalid documents", () => {
  it("rejects text that is not JSON, naming the parser's complaint", () => {
    assert.throws(
      () => parse('{"methodConfig": [}'),
      (e: unknown) =>
        e instanceof ServiceConfigError &&
        e.path === "" &&
        e.message.startsWith("not JSON: ") &&
        e.message.length > "not JSON: ".length &&
        e.cause instanceof SyntaxError,
    );
    rejects("", /^not JSON: /);
  });

  it("rejects a document that is not an object", () => {
    for (const doc of ["[]", "null", "1", '"x"', [], null, undefined, 3]) rejects(doc, "must be an object");
  });

  it("rejects top-level fields of the wrong type", () => {
    rejects({ methodConfig: {} }, "methodConfig: must be a list");
    rejects({ method_config: "x" }, "method_config: must be a list");
    rejects({ retryThrottling: [] }, "retryThrottling: must be an object");
    rejects({ healthCheckConfig: "svc" }, "healthCheckConfig: must be an object");
    rejects({ healthCheckConfig: { serviceName: 5 } }, "healthCheckConfig.serviceName: must be a string");
  });

  it("rejects a field given in both spellings", () => {
    rejects({ methodConfig: [], method_config: [] }, /^methodConfig: given twice/);
  });

  it("rejects bad method names", () => {
    rejects({ methodConfig: [3] }, "methodConfig[0]: must be an object");
    rejects({ methodConfig: [{ name: { service: "s" } }] }, "methodConfig[0].name: must be a list");
    rejects({ methodConfig: [{ name: ["s"] }] }, "methodConfig[0].name[0]: must be an object");
    rejects(
      { methodConfig: [{ name: [{ service: 1 }] }] },
      "methodConfig[0].name[0].service: must be a string",
    );
    rejects(
      { methodConfig: [{ name: [{ service: "s", method: [] }] }] },
      "methodConfig[0].name[0].method: must be a string",
    );
    rejects(
      { methodConfig: [{ name: [{ method: "m" }] }] },
      'methodConfig[0].name[0]: method "m" given without a service',
    );
    rejects(
      { methodConfig: [{ name: [{ service: "", method: "m" }] }] },
      'methodConfig[0].name[0]: method "m" given without a service',
    );
  });

  it("rejects a name given twice, in one method config or two", () => {
    rejects(
      {
        methodConfig: [
          { name: [{ service: "s", method: "m" }] },
          { name: [{ service: "t" }, { service: "s", method: "m" }] },
        ],
      },
      'methodConfig[1].name[1]: method "s/m" is already named at methodConfig[0].name[0]',
    );
    rejects(
      { methodConfig: [{ name: [{ service: "s" }, { service: "s", method: "" }] }] },
      'methodConfig[0].name[1]: service "s" is already named at methodConfig[0].name[0]',
    );
    rejects(
      { methodConfig: [{ name: [{}] }, { name: [{ service: "", method: null }] }] },
      "methodConfig[1].name[0]: the default name (no service, no method) is already named at methodConfig[0].name[0]",
    );
  });

  it("rejects bad timeouts, flags and sizes", () => {
    rejects(withMethod({ timeout: 1 }), /^methodConfig\[0\]\.timeout: must be a duration string/);
    rejects(withMethod({ timeout: "1" }), /^methodConfig\[0\]\.timeout: "1" is not a duration/);
    rejects(withMethod({ timeout: "-1s" }), 'methodConfig[0].timeout: "-1s" must not be negative');
    rejects(withMethod({ timeout: "1.0000000001s" }), /^methodConfig\[0\]\.timeout: .* is not a duration/);
    rejects(
      withMethod({ timeout: { seconds: 1 } }),
      /^methodConfig\[0\]\.timeout: must be a duration string/,
    );
    rejects(withMethod({ waitForReady: "true" }), "methodConfig[0].waitForReady: must be true or false");
    rejects(withMethod({ wait_for_ready: 1 }), "methodConfig[0].wait_for_ready: must be true or false");
    for (const bad of [-1, 1.5, "ten", 2 ** 32, true]) {
      rejects(
        withMethod({ maxRequestMessageBytes: bad }),
        /^methodConfig\[0\]\.maxRequestMessageBytes: must be an integer/,
      );
      rejects(
        withMethod({ max_response_message_bytes: bad }),
        /^methodConfig\[0\]\.max_response_message_bytes: must be an integer/,
      );
    }
  });

  it("rejects a method config with both a retry and a hedging policy", () => {
    rejects(
      withMethod({ retryPolicy: retry, hedgingPolicy: { maxAttempts: 2 } }),
      "methodConfig[0]: has both retryPolicy and hedgingPolicy; at most one is allowed",
    );
    rejects(
      withMethod({ retry_policy: retry, hedging_policy: { maxAttempts: 2 } }),
      "methodConfig[0]: has both retry_policy and hedging_policy; at most one is allowed",
    );
  });

  it("rejects bad retry policies", () => {
    const bad = (fields: Record<string, unknown>, message: string | RegExp) =>
      rejects(
        { methodConfig: [{}, { name: [{ service: "s" }], retryPolicy: { ...retry, ...fields } }] },
        message,
      );
    const at = "methodConfig[1].retryPolicy";
    rejects(withMethod({ retryPolicy: [] }), "methodConfig[0].retryPolicy: must be an object");
    for (const n of [1, 0, -2, 1.5, 2.5, "1", "two", true])
      bad({ maxAttempts: n }, `${at}.maxAttempts: must be an integer greater than 1`);
    bad(
      { maxAttempts: 2 ** 32 },
      /^methodConfig\[1\]\.retryPolicy\.maxAttempts: must be an integer from 0 to/,
    );
    bad({ maxAttempts: null }, `${at}.maxAttempts: is required`);
    bad({ initialBackoff: undefined }, `${at}.initialBackoff: is required`);
    bad({ initialBackoff: "0s" }, `${at}.initialBackoff: must be greater than 0s`);
    bad({ initialBackoff: "-1s" }, `${at}.initialBackoff: "-1s" must not be negative`);
    bad(
      { initialBackoff: "100ms" },
      /^methodConfig\[1\]\.retryPolicy\.initialBackoff: "100ms" is not a duration/,
    );
    bad(
      { initialBackoff: 0.1 },
      /^methodConfig\[1\]\.retryPolicy\.initialBackoff: must be a duration string/,
    );
    bad({ maxBackoff: undefined }, `${at}.maxBackoff: is required`);
    bad({ maxBackoff: "0.000s" }, `${at}.maxBackoff: must be greater than 0s`);
    bad({ maxBackoff: "x" }, /^methodConfig\[1\]\.retryPolicy\.maxBackoff: "x" is not a duration/);
    bad({ backoffMultiplier: undefined }, `${at}.backoffMultiplier: is required`);
    bad({ backoffMultiplier: 0 }, `${at}.backoffMultiplier: must be greater than 0`);
    bad({ backoffMultiplier: -1 }, `${at}.backoffMultiplier: must be greater than 0`);
    bad({ backoffMultiplier: "fast" }, `${at}.backoffMultiplier: must be a finite number`);
    bad({ backoffMultiplier: [2] }, `${at}.backoffMultiplier: must be a finite number`);
    bad({ retryableStatusCodes: undefined }, `${at}.retryableStatusCodes: is required`);
    bad({ retryableStatusCodes: [] }, `${at}.retryableStatusCodes: must name at least one status code`);
    bad({ retryableStatusCodes: "UNAVAILABLE" }, `${at}.retryableStatusCodes: must be a list`);
    bad(
      { retryableStatusCodes: ["UNAVAILABLE", "SOMETIMES"] },
      `${at}.retryableStatusCodes[1]: unknown status code "SOMETIMES"`,
    );
    bad({ retryableStatusCodes: [17] }, `${at}.retryableStatusCodes[0]: unknown status code 17`);
    bad(
      { retryableStatusCodes: [{}] },
      `${at}.retryableStatusCodes[0]: must be a status code name or number`,
    );
  });

  it("rejects bad hedging policies", () => {
    const at = "methodConfig[0].hedgingPolicy";
    const bad = (policy: Record<string, unknown>, message: string | RegExp) =>
      rejects(withMethod({ hedgingPolicy: policy }), message);
    bad({}, `${at}.maxAttempts: is required`);
    for (const n of [1, 0, 1.5, "x"])
      bad({ maxAttempts: n }, `${at}.maxAttempts: must be an integer greater than 1`);
    bad({ maxAttempts: 2, hedgingDelay: "-0.5s" }, `${at}.hedgingDelay: "-0.5s" must not be negative`);
    bad(
      { maxAttempts: 2, hedgingDelay: 5 },
      /^methodConfig\[0\]\.hedgingPolicy\.hedgingDelay: must be a duration string/,
    );
    bad(
      { maxAttempts: 2, hedgingDelay: "5" },
      /^methodConfig\[0\]\.hedgingPolicy\.hedgingDelay: "5" is not a duration/,
    );
    bad({ maxAttempts: 2, nonFatalStatusCodes: "INTERNAL" }, `${at}.nonFatalStatusCodes: must be a list`);
    bad(
      { maxAttempts: 2, nonFatalStatusCodes: ["internal", "nope"] },
      `${at}.nonFatalStatusCodes[1]: unknown status code "nope"`,
    );
  });

  it("rejects bad retry throttling", () => {
    const bad = (throttling: Record<string, unknown>, message: string | RegExp) =>
      rejects({ retryThrottling: throttling }, message);
    bad({ tokenRatio: 0.1 }, "retryThrottling.maxTokens: is required");
    bad({ maxTokens: 10 }, "retryThrottling.tokenRatio: is required");
    bad(
      { maxTokens: 0, tokenRatio: 0.1 },
      "retryThrottling.maxTokens: must be greater than 0 and at most 1000",
    );
    bad(
      { maxTokens: 1001, tokenRatio: 0.1 },
      "retryThrottling.maxTokens: must be greater than 0 and at most 1000",
    );
    bad({ max_tokens: -1, token_ratio: 0.1 }, /^retryThrottling\.max_tokens: must be an integer/);
    bad({ maxTokens: 10.5, tokenRatio: 0.1 }, /^retryThrottling\.maxTokens: must be an integer/);
    bad({ maxTokens: "many", tokenRatio: 0.1 }, /^retryThrottling\.maxTokens: must be an integer/);
    bad(
      { maxTokens: 10, tokenRatio: 0 },
      "retryThrottling.tokenRatio: must be at least 0.001 (3 decimal places are kept)",
    );
    bad(
      { maxTokens: 10, tokenRatio: -0.5 },
      "retryThrottling.tokenRatio: must be at least 0.001 (3 decimal places are kept)",
    );
    bad(
      { maxTokens: 10, tokenRatio: 0.0009 },
      "retryThrottling.tokenRatio: must be at least 0.001 (3 decimal places are kept)",
    );
    bad({ maxTokens: 10, tokenRatio: "a tenth" }, "retryThrottling.tokenRatio: must be a finite number");
  });
});
