// A child with nothing but tsx and the harness loaded: its memory is the floor under every server's.
import { runChild } from "../lib/child-main.js";

runChild({ port: 0, close() {} });
