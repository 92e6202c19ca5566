#!/usr/bin/env node
import { runCli } from "./run-cli.js";

// Output piped into a reader that stops early (`grpc-ts call ... | head`): stop quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
