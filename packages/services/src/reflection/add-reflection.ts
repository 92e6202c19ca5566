import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ServerLike } from "../server-like.js";
import { createReflection, type ReflectionOptions } from "./reflection.js";

/**
 * Adds server reflection to `server`, as `grpc.reflection.v1.ServerReflection` and as its older
 * twin `grpc.reflection.v1alpha.ServerReflection` (still used by some clients). It describes every
 * service added to the server, before or after this call, with all the files they import.
 *
 * ```ts
 * addReflection(server); // then: grpcurl -plaintext localhost:50051 list
 * ```
 */
export function addReflection(server: ServerLike, options: ReflectionOptions = {}): void {
  const router = server.router;
  const services = options.services ?? (router === undefined ? undefined : () => router.services());
  if (services === undefined) {
    throw new TypeError("addReflection: the server has no router; pass options.services");
  }
  const reflection = createReflection({ ...options, services });
  server.add(ServerReflectionV1, reflection.v1);
  server.add(ServerReflectionV1alpha, reflection.v1alpha);
}
