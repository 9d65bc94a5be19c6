#!/usr/bin/env node
// The `lintel` command. Lintel ships TypeScript sources; tsx compiles them on load so that a clone
// runs without a build step.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
