// Standard gRPC services for grpc-ts servers: health checking and server reflection.
export {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  type HealthListRequest,
  HealthListRequestSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from "./gen/grpc/health/v1/health_pb.js";
export { ServerReflection as ServerReflectionV1 } from "./gen/grpc/reflection/v1/reflection_pb.js";
export { ServerReflection as ServerReflectionV1alpha } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
export { addHealth } from "./health/add-health.js";
export {
  createHealth,
  type HealthOptions,
  type HealthReporter,
  type HealthShutdownOptions,
  MAX_LIST_SERVICES,
  type ServingStatus,
} from "./health/health.js";
export { addReflection } from "./reflection/add-reflection.js";
export { createReflection, type Reflection, type ReflectionOptions } from "./reflection/reflection.js";
export {
  createReflectionClient,
  type ReflectionClient,
  type ReflectionClientOptions,
  type ReflectionVersion,
} from "./reflection/reflection-client.js";
export type { ServerLike } from "./server-like.js";
