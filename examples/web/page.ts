// The example page's script (bundled by serve.ts): runs the demo against the server named in the
// page's <meta name="grpc-server">, appending a line to the list for each result as it arrives.
import { runWebDemo } from "./demo.js";

/** The few DOM calls used here (the examples compile without the DOM library). */
interface Element {
  textContent: string | null;
  className: string;
  appendChild(child: Element): void;
  getAttribute(name: string): string | null;
}
interface Document {
  querySelector(selector: string): Element | null;
  createElement(tag: string): Element;
}
const doc = (globalThis as unknown as { document: Document }).document;

const list = doc.querySelector("#log")!;
const baseUrl = doc.querySelector('meta[name="grpc-server"]')?.getAttribute("content") ?? "";
const format =
  doc.querySelector('meta[name="grpc-format"]')?.getAttribute("content") === "text" ? "text" : "binary";

function show(line: string, className = ""): void {
  const li = doc.createElement("li");
  li.textContent = line;
  li.className = className;
  list.appendChild(li);
}

runWebDemo({ baseUrl, format }, (line) => show(line)).then(
  () => show("done", "done"),
  (e: unknown) => show(`failed: ${String(e)}`, "failed"),
);
