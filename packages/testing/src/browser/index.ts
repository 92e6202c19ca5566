// @grpc-ts/testing/browser: headless Chromium, and the browser test page (its bundled script and a
// loopback HTTP server for it).
export { type BrowserHandle, CHROMIUM_PATH, launchChromium } from "./chromium.js";
export type { ErrorResult, PageResults } from "./web-page/page.js";
export { bundleForBrowser, type PageServer, pageEntry, servePage } from "./web-page/serve.js";
