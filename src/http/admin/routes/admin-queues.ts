import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance } from "fastify";
import { hostIds } from "../../../store/hosts.js";
import type { HttpDeps } from "../../http-deps.js";

const BASE_PATH = "/admin/queues";

/** How long a read of the Host table serves the board's requests (its page polls every few s). */
export const QUEUE_LIST_TTL_MS = 5_000;

/**
 * Bull Board's view of the queues at /admin/queues (every registered host's and the shared
 * ones), read-only: a deploy is retried or cancelled through the dashboard, which records it in
 * Postgres, never by moving its job. Registered inside the admin guard, so it takes the same
 * credentials.
 *
 * The hosts are read again from the Host table before a board request when the last read is
 * older than QUEUE_LIST_TTL_MS, so a host registered after this process started shows up
 * (replaceQueues: a host whose row is gone leaves the board too). The Queue handles are
 * HostQueues' (one per name, on its one Redis connection, closed with it): the board holds no
 * connection of its own, and what it holds is bounded by the hosts registered.
 */
export async function adminQueuesRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const adapters = new Map<string, BullMQAdapter>();
  const boardQueues = (ids: readonly string[]) => {
    const queues = deps.queues.all(ids);
    for (const name of [...adapters.keys()])
      if (!queues.some((queue) => queue.name === name)) adapters.delete(name);
    return queues.map((queue) => {
      let adapter = adapters.get(queue.name);
      if (!adapter) {
        adapter = new BullMQAdapter(queue, { readOnlyMode: true });
        adapters.set(queue.name, adapter);
      }
      return adapter;
    });
  };
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BASE_PATH);
  let known = await hostIds(deps.db).catch(() => null);
  const board = createBullBoard({
    queues: boardQueues(known ?? []),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: "coduck-worker",
        miscLinks: [{ text: "Deployments", url: "/admin" }],
      },
    },
  });

  let readAt = known === null ? 0 : Date.now();
  let reading: Promise<void> | null = null;
  const refresh = async () => {
    // The board is still served from the last list when Postgres cannot be read.
    const ids = await hostIds(deps.db).catch(() => null);
    if (ids === null) return;
    readAt = Date.now();
    if (known !== null && ids.join(",") === known.join(",")) return;
    known = ids;
    board.replaceQueues(boardQueues(ids));
  };
  // After the admin guard's hooks (registered first in this context): only a signed-in request
  // makes the worker read the Host table.
  app.addHook("preHandler", async () => {
    if (Date.now() - readAt < QUEUE_LIST_TTL_MS) return;
    reading ??= refresh().finally(() => {
      reading = null;
    });
    await reading;
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BASE_PATH });
}
