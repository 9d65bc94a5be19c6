#!/usr/bin/env node
// Runs a TypeScript file of the project (benchmarks, scripts) with the same loader as `lintel`.
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const file = process.argv[2];
if (!file) {
  console.error("usage: run-ts.mjs FILE.ts [ARGS...]");
  process.exit(2);
}
process.argv.splice(1, 1);
await import(pathToFileURL(file).href);
