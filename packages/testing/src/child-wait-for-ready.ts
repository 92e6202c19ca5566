// A one-call client script for lifetime tests:
//   node --conditions=source --import tsx child-wait-for-ready.ts TARGET
// Makes one waitForReady unary call (no deadline) with a short backoff, prints "reply <message>",
// closes its channel, and must then exit by itself.
import { createClient } from "@grpc-ts/core";
import { createChannel } from "@grpc-ts/node";
import { Echo } from "./gen/echo_pb.js";

const channel = createChannel(process.argv[2] ?? "", { backoff: { initialMs: 100, maxMs: 200 } });
const res = await createClient(Echo, channel).unary({ message: "waited" }, { waitForReady: true });
process.stdout.write(`reply ${res.message}\n`);
channel.close();
