import type { FastifyInstance } from "fastify";

/** `GET /healthz`: the process is up and serving HTTP. */
export async function healthzRoute(app: FastifyInstance): Promise<void> {
  app.get("/healthz", async () => ({ ok: true }));
}
