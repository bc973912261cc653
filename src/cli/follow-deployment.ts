import { setTimeout as sleep } from "node:timers/promises";
import { type DeploymentRecord, getDeploymentRecord } from "../store/deployment-record.js";
import { isEndedStatus } from "../store/deployment-statuses.js";
import type { Db } from "../store/prisma.js";
import { formatStep } from "./print-deployment.js";

const POLL_MS = 250;
const NO_WORKER_NOTICE_MS = 10_000;

/** Follows a deployment from any machine, printing each step as it changes, until it ends. */
export async function followDeployment(
  db: Db,
  id: string,
  out: NodeJS.WritableStream,
): Promise<DeploymentRecord> {
  const seen = new Map<string, string>();
  const since = Date.now();
  let noticed = false;
  for (;;) {
    const record = await getDeploymentRecord(db, id);
    if (!record) throw new Error(`deployment ${id} disappeared`);
    for (const step of record.steps) {
      const shown = formatStep(step);
      if (step.status !== "pending" && seen.get(step.name) !== shown) {
        seen.set(step.name, shown);
        out.write(`  ${shown}\n`);
      }
    }
    if (isEndedStatus(record.status)) return record;
    if (!noticed && record.status === "queued" && Date.now() - since > NO_WORKER_NOTICE_MS) {
      noticed = true;
      out.write("  still queued: is a worker running? (coduck-worker start)\n");
    }
    await sleep(POLL_MS);
  }
}
