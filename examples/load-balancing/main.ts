// npm run example:load-balancing: three servers, one channel with round_robin and health checking.
import { runLoadBalancingExample } from "./example.js";

await runLoadBalancingExample();
