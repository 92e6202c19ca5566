#!/usr/bin/env node
// The `grpc-ts` command. A committed file, so that npm can link it before `prepare` builds dist/.
import "../dist/bin.js";
