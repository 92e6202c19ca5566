// @grpc-ts/testing/grpc-js: `grpcts.test.Echo` on @grpc/grpc-js, a client and a server.
export {
  ECHO_PROTO_PATH,
  isServiceError,
  JsEchoClient,
  type JsEchoHooks,
  type JsEchoMethodName,
  type JsEchoRequest,
  type JsEchoRequestInit,
  type JsEchoResponse,
  type JsEchoResponseInit,
  type JsEchoServer,
  type JsServerCall,
  jsEcho,
  nextEvent,
  readAll,
  startJsEchoServer,
} from "./peer.js";
