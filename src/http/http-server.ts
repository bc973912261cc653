import type { FastifyInstance } from "fastify";
import { buildApp } from "./build-app.js";
import type { HttpDeps } from "./http-deps.js";

export type HttpServer = { app: FastifyInstance; url: string; close(): Promise<void> };

/** Builds the HTTP app and listens on HTTP_PORT on every interface (webhooks come from outside). */
export async function createHttpServer(
  deps: HttpDeps & { host?: string; port?: number },
): Promise<HttpServer> {
  const app = await buildApp(deps);
  const url = await app.listen({
    host: deps.host ?? "0.0.0.0",
    port: deps.port ?? deps.config.http.port,
  });
  return { app, url, close: () => app.close() };
}
