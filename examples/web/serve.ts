// Starts the web example: the RouteGuide gRPC server (which answers gRPC-Web itself, with CORS for
// the page), and a small HTTP server for the page and its script, bundled here with esbuild.
import * as http from "node:http";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "@grpc-ts/node";
import { build } from "esbuild";
import { createRouteGuideService, RouteGuide } from "../routeguide/service.js";

export interface WebExampleOptions {
  readonly host?: string;
  /** The page's port (0: any free one). */
  readonly port?: number;
  /** The gRPC server's port (0: any free one). */
  readonly grpcPort?: number;
  readonly format?: "binary" | "text";
}

export interface WebExample {
  readonly pageUrl: string;
  readonly grpcUrl: string;
  readonly server: Server;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startWebExample(options: WebExampleOptions = {}): Promise<WebExample> {
  const host = options.host ?? "127.0.0.1";
  const script = (
    await build({
      entryPoints: [fileURLToPath(new URL("./page.ts", import.meta.url))],
      bundle: true,
      write: false,
      format: "iife",
      platform: "browser",
      target: "es2022",
      conditions: ["source"],
      minify: true,
      logLevel: "silent",
    })
  ).outputFiles[0]!.text;

  // The page server first, so that the gRPC server can allow exactly the page's origin.
  let html = "";
  const pages = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (path === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    pages.once("error", reject);
    pages.listen(options.port ?? 8080, host, () => resolve());
  });
  const pageAddr = pages.address();
  const pagePort = typeof pageAddr === "object" && pageAddr !== null ? pageAddr.port : 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const pageUrl = `http://${urlHost}:${pagePort}`;

  const server = createServer({ cors: { allowedOrigins: [pageUrl] } }).add(
    RouteGuide,
    createRouteGuideService(),
  );
  let grpcPort: number;
  try {
    grpcPort = await server.listen(`${urlHost}:${options.grpcPort ?? 50051}`);
  } catch (e) {
    pages.close();
    throw e;
  }
  const grpcUrl = `http://${urlHost}:${grpcPort}`;
  html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="grpc-server" content="${escapeHtml(grpcUrl)}">
<meta name="grpc-format" content="${options.format ?? "binary"}">
<title>grpc-ts: RouteGuide over gRPC-Web</title>
<style>body{font:15px system-ui,sans-serif;margin:2em}li.done{color:green}li.failed{color:#b00}</style>
</head>
<body>
<h1>RouteGuide from the browser</h1>
<p>The page calls the grpc-ts server at <code>${escapeHtml(grpcUrl)}</code> with <code>@grpc-ts/web</code>; no proxy.</p>
<ol id="log"></ol>
<script src="/app.js"></script>
</body>
</html>`;
  return {
    pageUrl,
    grpcUrl,
    server,
    async close() {
      server.forceShutdown();
      await new Promise<void>((resolve) => {
        pages.close(() => resolve());
        pages.closeAllConnections();
      });
    },
  };
}
