import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { base64Decode, isBinaryKey } from "@grpc-ts/core/protocol";
import { type Channel, type ClientTlsOptions, createChannel, Metadata } from "@grpc-ts/node";
import type { ConnectionArgs } from "../remote-args.js";
import { version } from "../version.js";
import { usageError } from "./failure.js";

/**
 * The channel target for a command-line target: `http://host:port` and `https://host:port` become
 * `host:port` (default ports 80 and 443); the rest is as `createChannel` takes it. Throws a usage
 * error for a target that cannot be parsed.
 */
export function channelTarget(target: string): string {
  let out = target;
  const url = /^(https?):\/\/([^/?#]*)\/?$/i.exec(target);
  if (url !== null) {
    const scheme = url[1]!.toLowerCase();
    const hostPort = url[2]!;
    if (hostPort === "") throw usageError(`invalid target "${target}": no host`);
    const hasPort = hostPort.startsWith("[") ? /\]:\d*$/.test(hostPort) : hostPort.includes(":");
    out = hasPort ? hostPort : `${hostPort}:${scheme === "https" ? 443 : 80}`;
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !/^(dns|unix):/i.test(target)) {
    throw usageError(`invalid target "${target}": use host:port, http://host:port or https://host:port`);
  }
  try {
    // The channel parses its target when made and connects only when used: the channel's own
    // parser judges the target, and closing it at once opens nothing.
    createChannel(out).close();
  } catch (e) {
    throw usageError(`invalid target "${target}": ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}

/** Opens a channel to the target with the TLS options of the command line. */
export async function openChannel(args: ConnectionArgs, cwd: string): Promise<Channel> {
  const target = channelTarget(args.target);
  let tls: ClientTlsOptions | undefined;
  if (args.tls) {
    tls = {
      ...(args.cacert === undefined ? {} : { ca: await readInput(cwd, args.cacert, "--cacert") }),
      ...(args.cert === undefined ? {} : { cert: await readInput(cwd, args.cert, "--cert") }),
      ...(args.key === undefined ? {} : { key: await readInput(cwd, args.key, "--key") }),
      ...(args.serverName === undefined ? {} : { serverName: args.serverName }),
      ...(args.insecure ? { insecureSkipVerify: true } : {}),
    };
  }
  return createChannel(target, {
    ...(tls === undefined ? {} : { tls }),
    userAgent: `grpc-ts-cli/${version()}`,
  });
}

/** The request metadata of `-H` options; values of `-bin` keys are decoded from base64. */
export function requestMetadata(args: ConnectionArgs): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of args.headers) {
    try {
      if (isBinaryKey(key)) metadata.append(key as `${string}-bin`, base64Decode(value));
      else metadata.append(key, value);
    } catch (e) {
      throw usageError(`invalid header "${key}": ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return metadata;
}

async function readInput(cwd: string, path: string, option: string): Promise<Buffer> {
  try {
    return await readFile(resolve(cwd, path));
  } catch (e) {
    throw usageError(`cannot read ${option} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
