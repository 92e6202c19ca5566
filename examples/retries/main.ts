// npm run example:retries: a flaky server, and a channel whose service config retries and hedges.
import { runRetriesExample } from "./example.js";

await runRetriesExample();
