import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isNoRecord, mergeFamilies, nodeDnsQueries } from "./dns-queries.js";

const ok = (value: readonly string[]): PromiseSettledResult<readonly string[]> => ({
  status: "fulfilled",
  value,
});
const failed = (code: string): PromiseSettledResult<readonly string[]> => ({
  status: "rejected",
  reason: Object.assign(new Error(`query ${code}`), { code }),
});

describe("mergeFamilies", () => {
  it("alternates the families, IPv6 first, keeping each family's order", () => {
    assert.deepEqual(mergeFamilies(ok(["::1", "::2"]), ok(["1.1.1.1", "2.2.2.2", "3.3.3.3"])), [
      "::1",
      "1.1.1.1",
      "::2",
      "2.2.2.2",
      "3.3.3.3",
    ]);
  });

  it("one family's failure is ignored when the other has addresses", () => {
    assert.deepEqual(mergeFamilies(failed("ENODATA"), ok(["1.1.1.1"])), ["1.1.1.1"]);
    assert.deepEqual(mergeFamilies(ok(["::1"]), failed("ETIMEOUT")), ["::1"]);
  });

  it("with no address: the real failure, else the A query's", () => {
    assert.throws(() => mergeFamilies(failed("ETIMEOUT"), failed("ENOTFOUND")), /query ETIMEOUT/);
    assert.throws(() => mergeFamilies(failed("ENODATA"), failed("ENOTFOUND")), /query ENOTFOUND/);
    assert.throws(() => mergeFamilies(ok([]), ok([])), /no addresses/);
  });

  it("isNoRecord knows ENODATA and ENOTFOUND only", () => {
    assert.equal(isNoRecord(Object.assign(new Error(), { code: "ENODATA" })), true);
    assert.equal(isNoRecord(Object.assign(new Error(), { code: "ENOTFOUND" })), true);
    assert.equal(isNoRecord(Object.assign(new Error(), { code: "ESERVFAIL" })), false);
    assert.equal(isNoRecord(null), false);
  });
});

describe("nodeDnsQueries without a server", () => {
  it("uses the system resolver, which reads /etc/hosts (localhost is loopback)", async () => {
    const queries = nodeDnsQueries(undefined);
    const found = await queries.addresses("localhost");
    assert.ok(found.length > 0);
    for (const address of found) assert.ok(address === "::1" || address.startsWith("127."), address);
    queries.cancel();
  });
});
