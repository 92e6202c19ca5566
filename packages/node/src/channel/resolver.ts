import { lookup } from "node:dns/promises";
import { Code, RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../http2/node-client.js";
import type { Target } from "./target.js";

/** The addresses behind a target, in the order to try them. */
export async function resolveTarget(target: Target): Promise<ConnectAddress[]> {
  switch (target.scheme) {
    case "unix":
      return [{ path: target.path }];
    case "ipv4":
    case "ipv6":
      return target.addresses.map((a) => ({ host: a.host, port: a.port }));
    case "dns": {
      try {
        const found = await lookup(target.host, { all: true, verbatim: true });
        if (found.length === 0) throw new Error("no addresses");
        return found.map((a) => ({ host: a.address, port: target.port }));
      } catch (e) {
        throw new RpcError(Code.UNAVAILABLE, `could not resolve "${target.host}": ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
  }
}
