import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance } from "fastify";
import { hostIds } from "../../../store/hosts.js";
import type { HttpDeps } from "../../http-deps.js";

const BASE_PATH = "/admin/queues";

/**
 * Bull Board's view of the queues at /admin/queues (every registered host's and the shared
 * ones, as registered when the server started), read-only: a deploy is retried or
 * cancelled through the dashboard, which records it in Postgres, never by moving its job.
 * Registered inside the admin guard, so it takes the same credentials.
 */
export async function adminQueuesRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const queues = deps.queues.all(await hostIds(deps.db).catch(() => []));
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BASE_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "coduck-worker",
        miscLinks: [{ text: "Deployments", url: "/admin" }],
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BASE_PATH });
}
