import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClientIdentity, selectServiceConfig, serviceConfigFromTxt } from "./dns-service-config.js";

const client: ClientIdentity = { hostname: "host-a", percentile: 50 };
const sc = { loadBalancingPolicy: "round_robin" };

describe("service config choices (gRFC A2)", () => {
  it("a choice without criteria matches; the first match wins", () => {
    assert.deepEqual(selectServiceConfig([{ serviceConfig: sc }, { serviceConfig: {} }], client), sc);
    assert.deepEqual(
      selectServiceConfig([{ clientLanguage: [], clientHostname: [], serviceConfig: sc }], client),
      sc,
    );
  });

  it("clientLanguage matches typescript or node, case-insensitively", () => {
    for (const languages of [["typescript"], ["NODE"], ["go", "TypeScript"]])
      assert.deepEqual(selectServiceConfig([{ clientLanguage: languages, serviceConfig: sc }], client), sc);
    for (const languages of [["go"], ["c++", "java", "javascript"]])
      assert.equal(
        selectServiceConfig([{ clientLanguage: languages, serviceConfig: sc }], client),
        undefined,
      );
  });

  it("percentage: this client's place (0–99) must be below it", () => {
    const at = (percentage: number, percentile: number) =>
      selectServiceConfig([{ percentage, serviceConfig: sc }], { hostname: "h", percentile });
    assert.equal(at(0, 0), undefined);
    assert.deepEqual(at(100, 99), sc);
    assert.deepEqual(at(51, 50), sc);
    assert.equal(at(50, 50), undefined);
  });

  it("clientHostname must list this host exactly", () => {
    assert.deepEqual(
      selectServiceConfig([{ clientHostname: ["x", "host-a"], serviceConfig: sc }], client),
      sc,
    );
    assert.equal(selectServiceConfig([{ clientHostname: ["HOST-A"], serviceConfig: sc }], client), undefined);
  });

  it("all criteria must match; no matching choice is no config", () => {
    const choice = {
      clientLanguage: ["node"],
      percentage: 100,
      clientHostname: ["other"],
      serviceConfig: sc,
    };
    assert.equal(selectServiceConfig([choice], client), undefined);
    assert.equal(selectServiceConfig([], client), undefined);
  });

  it("any invalid choice makes the whole list invalid, even after a match", () => {
    const bad: [unknown, RegExp][] = [
      [{ serviceConfig: sc }, /not a JSON list/],
      [[1], /choice 0 is not an object/],
      [
        [{ serviceConfig: sc }, { serviceConfig: sc, clientLanguages: ["go"] }],
        /choice 1 has an unknown field/,
      ],
      [[{ serviceConfig: [] }], /serviceConfig is missing or not an object/],
      [[{}], /serviceConfig is missing/],
      [[{ serviceConfig: null }], /serviceConfig is missing/],
      [[{ serviceConfig: sc, percentage: 50.5 }], /percentage/],
      [[{ serviceConfig: sc, percentage: 101 }], /percentage/],
      [[{ serviceConfig: sc, percentage: "50" }], /percentage/],
      [[{ serviceConfig: sc, clientLanguage: "go" }], /clientLanguage is not a list of strings/],
      [[{ serviceConfig: sc, clientHostname: [1] }], /clientHostname is not a list of strings/],
    ];
    for (const [choices, message] of bad)
      assert.throws(() => selectServiceConfig(choices, client), message, JSON.stringify(choices));
  });
});

describe("grpc_config TXT records", () => {
  it("joins a record's strings and ignores other TXT records", () => {
    const json = JSON.stringify([{ serviceConfig: sc }]);
    assert.deepEqual(
      serviceConfigFromTxt([["other=1"], ["grpc_config=", json.slice(0, 10), json.slice(10)]], client),
      sc,
    );
    assert.equal(serviceConfigFromTxt([["other=1"]], client), undefined);
    assert.equal(serviceConfigFromTxt([], client), undefined);
  });

  it("two grpc_config records or bad JSON are errors", () => {
    const one = [`grpc_config=${JSON.stringify([{ serviceConfig: sc }])}`];
    assert.throws(() => serviceConfigFromTxt([one, one], client), /2 grpc_config TXT records/);
    assert.throws(() => serviceConfigFromTxt([["grpc_config=nope"]], client), /grpc_config is not JSON/);
  });
});
