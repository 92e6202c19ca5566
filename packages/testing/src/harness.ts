// Starts real servers and channels on loopback for the end-to-end tests, and cleans them up.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Client, type ClientOptions, createClient, type ServiceImpl } from "@grpc-ts/core";
import {
  type Channel,
  type ChannelOptions,
  createChannel,
  createServer,
  type Server,
  type ServerOptions,
} from "@grpc-ts/node";
import { createEchoService } from "./echo-service.js";
import { Echo, type EchoRequestSchema } from "./gen/echo_pb.js";

/** What a client may send as an EchoRequest. */
export type EchoRequestInit = MessageInitShape<typeof EchoRequestSchema>;

export interface ServerHandle {
  readonly server: Server;
  readonly port: number;
  /** `127.0.0.1:PORT` (or the unix target) for `createChannel`. */
  readonly target: string;
  /** Ends every call and connection at once. */
  close(): void;
}

export interface StartServerOptions {
  readonly server?: ServerOptions;
  /** Default `127.0.0.1:0`. */
  readonly address?: string;
  /** Adds the services; default: the Echo service. */
  readonly setup?: (server: Server) => void;
}

/** A server listening on a free loopback port (or the given address). */
export async function startServer(options: StartServerOptions = {}): Promise<ServerHandle> {
  const server = createServer(options.server);
  if (options.setup !== undefined) options.setup(server);
  else server.add(Echo, createEchoService());
  const address = options.address ?? "127.0.0.1:0";
  let port: number;
  try {
    port = await server.listen(address);
  } catch (e) {
    server.forceShutdown();
    throw e;
  }
  const target = address.startsWith("unix:") ? address : `127.0.0.1:${port}`;
  return { server, port, target, close: () => server.forceShutdown() };
}

export interface EchoHarness extends ServerHandle {
  readonly channel: Channel;
  readonly client: Client<typeof Echo>;
  /** Closes the channel and force-shuts the server. */
  close(): void;
}

export interface StartEchoOptions extends StartServerOptions {
  /** Replaces some Echo methods (the others are the standard echo). */
  readonly impl?: ServiceImpl<typeof Echo>;
  readonly channel?: ChannelOptions;
  readonly client?: ClientOptions;
}

/** An Echo server and a client for it over one channel. */
export async function startEcho(options: StartEchoOptions = {}): Promise<EchoHarness> {
  const handle = await startServer({
    ...options,
    setup:
      options.setup ??
      ((server) => {
        server.add(Echo, { ...createEchoService(), ...options.impl });
      }),
  });
  const channel = createChannel(handle.target, options.channel);
  const client = createClient(Echo, channel, options.client);
  return {
    ...handle,
    channel,
    client,
    close() {
      channel.close();
      handle.close();
    },
  };
}
