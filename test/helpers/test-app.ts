import pino from "pino";
import { buildApp } from "../../src/http/build-app.js";
import type { HttpDeps } from "../../src/http/http-deps.js";
import type { TestStack } from "./test-worker.js";

/** The HTTP app over a test stack's database, queue and config, logging nothing, not listening. */
export function buildTestApp(stack: TestStack, deps: Partial<HttpDeps> = {}) {
  return buildApp({
    db: stack.db,
    queues: stack.queues,
    logger: pino({ level: "silent" }),
    config: stack.config,
    keyring: stack.keyring,
    ...deps,
  });
}
