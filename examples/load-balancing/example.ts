// Load balancing and client-side health checking: three RouteGuide servers on 127.0.0.1,
// 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback), one channel to all three with round_robin
// and health checking chosen by its service config. The calls rotate over the servers; when one
// reports NOT_SERVING for the service, the channel stops sending it calls, and sends them again
// once it is SERVING.
import { createChannel, createClient, createServer, type Server } from "@grpc-ts/node";
import { addHealth, type HealthReporter } from "@grpc-ts/services";
import { RouteGuide } from "../routeguide/gen/route_guide_pb.js";
import { createRouteGuideService } from "../routeguide/service.js";

const SERVICE = "routeguide.RouteGuide";

interface Backend {
  readonly name: string;
  readonly server: Server;
  readonly health: HealthReporter;
  readonly port: number;
}

async function startBackend(host: string): Promise<Backend> {
  const routeGuide = createRouteGuideService();
  const server = createServer();
  server.add(RouteGuide, {
    ...routeGuide,
    // Each answer says which server gave it.
    getFeature(point, ctx) {
      ctx.responseHeader.set("x-server", host);
      return routeGuide.getFeature!(point, ctx);
    },
  });
  const health = addHealth(server);
  health.setStatus(SERVICE, "SERVING");
  const port = await server.listen(`${host}:0`);
  return { name: host, server, health, port };
}

/** Runs the example; `log` gets each line it prints. Resolves with the servers that answered, per round. */
export async function runLoadBalancingExample(
  log: (line: string) => void = console.log,
): Promise<string[][]> {
  const backends = await Promise.all(["127.0.0.1", "127.0.0.2", "127.0.0.3"].map(startBackend));
  const target = `ipv4:${backends.map((b) => `${b.name}:${b.port}`).join(",")}`;
  const channel = createChannel(target, {
    serviceConfig: {
      loadBalancingConfig: [{ round_robin: {} }],
      healthCheckConfig: { serviceName: SERVICE },
      methodConfig: [{ name: [{ service: SERVICE }], timeout: "2s", waitForReady: true }],
    },
  });
  const client = createClient(RouteGuide, channel);
  const round = async (calls: number): Promise<string[]> => {
    const answered: string[] = [];
    for (let i = 0; i < calls; i++) {
      let server = "";
      await client.getFeature(
        { latitude: 0, longitude: 0 },
        { onHeader: (h) => (server = h.get("x-server") ?? "") },
      );
      answered.push(server);
    }
    return answered;
  };
  const waitUntil = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${what}: not within 2 s`);
  };
  try {
    log(`channel to ${target}, round_robin with health checking of ${SERVICE}`);
    // The first calls may come before every backend's connection and first health report are in.
    await waitUntil(async () => new Set(await round(3)).size === 3, "all three servers in rotation");
    const rounds: string[][] = [];
    rounds.push(await round(6));
    log(`6 calls answered by: ${rounds[0]!.join(" ")}`);
    backends[1]!.health.setStatus(SERVICE, "NOT_SERVING");
    log(`${backends[1]!.name} reports NOT_SERVING`);
    await waitUntil(
      async () => !(await round(3)).includes(backends[1]!.name),
      "the unhealthy server skipped",
    );
    rounds.push(await round(6));
    log(`6 calls answered by: ${rounds[1]!.join(" ")}`);
    backends[1]!.health.setStatus(SERVICE, "SERVING");
    log(`${backends[1]!.name} reports SERVING again`);
    await waitUntil(async () => (await round(3)).includes(backends[1]!.name), "the server back in rotation");
    rounds.push(await round(6));
    log(`6 calls answered by: ${rounds[2]!.join(" ")}`);
    return rounds;
  } finally {
    channel.close();
    await Promise.all(backends.map((b) => b.server.shutdown(1000)));
  }
}
