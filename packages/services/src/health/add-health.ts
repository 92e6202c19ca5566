import { Health } from "../gen/grpc/health/v1/health_pb.js";
import type { ServerLike } from "../server-like.js";
import { createHealth, type HealthOptions, type HealthReporter } from "./health.js";

/**
 * Adds `grpc.health.v1.Health` to `server` and returns the reporter through which the application
 * sets each service's status. The whole server (`""`) starts SERVING unless `options.statuses`
 * says otherwise. When the server starts shutting down (`shutdown()` or `forceShutdown()`), every
 * status becomes NOT_SERVING first, and running `Watch` calls end after they were sent it.
 *
 * ```ts
 * const health = addHealth(server);
 * health.setStatus("routeguide.RouteGuide", "SERVING");
 * ```
 */
export function addHealth(server: ServerLike, options: HealthOptions = {}): HealthReporter {
  const health = createHealth(options);
  server.add(Health, health.impl);
  server.onShutdown?.(() => health.shutdown({ endWatches: true }));
  return health;
}
