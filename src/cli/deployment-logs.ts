import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { type DeploymentRecord, getDeploymentRecord } from "../store/deployment-record.js";
import { isActiveStatus } from "../store/deployment-statuses.js";
import { connectDb, type Db } from "../store/prisma.js";
import {
  advanceCursor,
  type DeploymentLogLine,
  type LogCursor,
  readDeploymentLogs,
} from "../store/read-deployment-logs.js";
import { deploymentId } from "./deployment-id.js";
import { terminalText } from "./terminal-text.js";

const POLL_MS = 500;
const PAGE_LINES = 1000;

/**
 * `coduck-worker deployments logs <id> [--step S] [--follow]`: prints the stored step logs as
 * `<step> | <line>` (`! ` marks stderr). With --follow, keeps printing new lines until the
 * deployment has ended and its last lines are out. Returns the exit code.
 */
export async function deploymentLogs(
  config: Config,
  id: string,
  options: { step?: string; follow?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  deploymentId(id);
  const db = connectDb(config.databaseUrl);
  try {
    let deployment = await getDeploymentRecord(db, id);
    if (!deployment) throw new UsageError(`no deployment ${id}`);
    const names = deployment.steps.map((s) => s.name);
    if (options.step !== undefined && !names.includes(options.step)) {
      throw new UsageError(
        `--step: deployment ${id} has no step ${JSON.stringify(options.step)}; its steps are ${names.join(", ")}`,
      );
    }
    let reader = { cursor: {} as LogCursor, since: undefined as Date | undefined };
    for (;;) {
      // The status is read before the lines: once it says ended, every line is stored.
      const ended = !isActiveStatus(deployment.status);
      reader.cursor = await printNewLines(db, id, options.step, reader, out);
      if (ended || !options.follow) return 0;
      await sleep(POLL_MS);
      const attempt = deployment.attempt;
      deployment = await current(db, id);
      if (deployment.attempt !== attempt && deployment.startedAt) {
        out.write(`-- attempt ${deployment.attempt}: the deploy runs again from the start --\n`);
        reader = { cursor: {}, since: new Date(deployment.startedAt) };
      }
    }
  } finally {
    await db.$disconnect();
  }
}

async function printNewLines(
  db: Db,
  id: string,
  step: string | undefined,
  from: { cursor: LogCursor; since: Date | undefined },
  out: NodeJS.WritableStream,
): Promise<LogCursor> {
  let cursor = from.cursor;
  for (;;) {
    const lines = await readDeploymentLogs(db, id, {
      step,
      cursor,
      since: from.since,
      limit: PAGE_LINES,
    });
    if (lines.length > 0) out.write(lines.map(formatLine).join(""));
    cursor = advanceCursor(cursor, lines);
    if (lines.length < PAGE_LINES) return cursor;
  }
}

function formatLine({ step, stream, line }: DeploymentLogLine): string {
  const text = `${stream === "stderr" ? "! " : ""}${terminalText(line)}`;
  return text === "" ? `${step} |\n` : `${step} | ${text}\n`;
}

async function current(db: Db, id: string): Promise<DeploymentRecord> {
  const deployment = await getDeploymentRecord(db, id);
  if (!deployment) throw new Error(`deployment ${id} disappeared`);
  return deployment;
}
