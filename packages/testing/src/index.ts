// @grpc-ts/testing: what the tests of every package share (private, never published, imported by
// tests only). The root has the helpers, assertions, the Echo service and loopback servers, raw
// protocol clients and servers, certificates, child processes and external programs; the heavier
// peers have their own subpaths: `@grpc-ts/testing/grpc-js` (the grpc-js Echo peer) and
// `@grpc-ts/testing/browser` (headless Chromium and the test page). `@grpc-ts/testing/async` and
// `@grpc-ts/testing/bytes` are runtime-neutral (no Node imports), for the core's and the web client's
// tests, and `@grpc-ts/testing/assert` has the assertions alone.
export { assertBytes, assertRpcError, expectRpcError, isRpcError } from "./assert.js";
export {
  aborted,
  collect,
  type Deferred,
  deferred,
  fromValues,
  rejection,
  sleep,
  until,
  within,
} from "./async.js";
export {
  type Backend,
  type BackendOptions,
  startBackend,
  startBackends,
} from "./backends.js";
export { concat } from "./bytes.js";
export {
  generateTestCerts,
  type KeyPair,
  TEST_CLIENT_CN,
  TEST_SERVER_NAME,
  type TestCerts,
} from "./certs.js";
export { CHILD_WAIT_FOR_READY, type ChildServer, REPO_ROOT, startChildServer } from "./child-process.js";
export { type Dnsmasq, type DnsmasqOptions, startDnsmasq } from "./dnsmasq.js";
export { createEchoImpl, type EchoHooks, type EchoMethodName } from "./echo-impl.js";
export { createEchoService, failIfAsked } from "./echo-service.js";
export {
  CHROMIUM,
  CURL,
  DNSMASQ,
  type ExternalProgram,
  GRPC_PROTO,
  H2LOAD,
  HAPROXY,
  NGHTTP,
  PYTHON_GRPCIO,
  PYTHON_H2,
  skipWithout,
} from "./external-peers.js";
export {
  Echo,
  type EchoRequest,
  EchoRequestSchema,
  type EchoResponse,
  EchoResponseSchema,
  file_echo,
} from "./gen/echo_pb.js";
export { type H2Proxy, type H2ProxyOptions, startH2Proxy } from "./h2-proxy.js";
export { type Haproxy, type HaproxyOptions, startHaproxy } from "./haproxy.js";
export {
  type EchoHarness,
  type EchoRequestInit,
  type ServerHandle,
  type StartEchoOptions,
  type StartServerOptions,
  startEcho,
  startServer,
} from "./harness.js";
export { closerOf, freePort, listenLoopback } from "./loopback.js";
export { createPushResolver, type PushResolver } from "./push-resolver.js";
export {
  envelope,
  grpcHeaders,
  type RawRequestOptions,
  type RawResponse,
  rawCall,
  rawConnect,
  rawRequest,
  statusOf,
} from "./raw-client.js";
export { answer, type RawServer, startRawServer } from "./raw-server.js";
export { createRetryRules, type RetryRulesRecord } from "./retry-rules.js";
export { type RunOptions, type RunResult, runToEnd, stripAnsi } from "./run-to-end.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export {
  type Http1RequestOptions,
  type Http1Response,
  http1Request,
  readWebBody,
  webBody,
  webHeaders,
} from "./web-raw.js";
