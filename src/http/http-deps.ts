import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { HostQueues } from "../queue/host-queues.js";
import type { Keyring } from "../secrets/keyring.js";
import type { Db } from "../store/prisma.js";
import type { ProjectDataDeps } from "./admin/project-data.js";

/**
 * What the HTTP routes work with: the worker's database, the queues (each job goes to its
 * project's host's queue, from whichever machine received the request), a logger.
 */
export type HttpDeps = {
  db: Db;
  queues: HostQueues;
  logger: Logger;
  config: Pick<Config, "http" | "releases" | "host">;
  /** Opens the projects' webhook secrets; without it, only the global fallback verifies pushes. */
  keyring?: Keyring;
  /** For the Data view (tables, rows, backups): without it, those pages are not served. */
  data?: ProjectDataDeps;
};
