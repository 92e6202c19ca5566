// Serves the browser test page: its script bundled with esbuild from TypeScript sources (resolving
// workspace packages to their sources), and a small HTML file, over loopback HTTP.
import * as http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { listenLoopback } from "../../loopback.js";

/** Bundles a browser entry point into one script (workspace packages from their TypeScript sources). */
export async function bundleForBrowser(entry: string, options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    minify: options.minify ?? false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

export const pageEntry = fileURLToPath(new URL("./page.ts", import.meta.url));

export interface PageServer {
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** An HTTP server for fixed files (path → content type and body) on 127.0.0.1. */
export async function servePage(
  files: Readonly<Record<string, { type: string; body: string }>>,
): Promise<PageServer> {
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  const port = await listenLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
