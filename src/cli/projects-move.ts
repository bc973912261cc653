import { setTimeout as sleep } from "node:timers/promises";
import { type Config, HOST_ID_PATTERN } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { MOVE_STAGES } from "../moves/move-stages.js";
import { requestMove, requestMoveAbort, requestMoveCleanup } from "../moves/request-move.js";
import type { Db } from "../store/prisma.js";
import { latestProjectMove } from "../store/project-moves.js";
import { cliRequester } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withQueue } from "./with-queue.js";

type Out = NodeJS.WritableStream;
const POLL_MS = 500;

/**
 * `coduck-worker projects move P --to H --confirm P [--wait]`: records a move of the project to
 * host H and queues its first stage on the project's host; `projects move P --cleanup --confirm
 * P` queues the drop of the source's database once the move is done. Nothing is recorded or
 * queued unless --confirm repeats the slug. Returns the exit code.
 */
export async function projectsMoveCommand(
  config: Config,
  project: string,
  options: {
    to?: string;
    cleanup?: boolean;
    abort?: boolean;
    confirm?: string;
    wait?: boolean;
    json?: boolean;
  },
  io: { out: Out; err: Out },
): Promise<number> {
  const parsed = projectSlug.safeParse(project);
  if (!parsed.success) throw new UsageError(`<slug>: ${parsed.error.issues[0]!.message}`);
  const slug = parsed.data;
  if (
    [options.to !== undefined, Boolean(options.cleanup), Boolean(options.abort)].filter(Boolean)
      .length !== 1
  )
    throw new UsageError("projects move: give either --to <host> or --cleanup, or --abort");
  if (options.to !== undefined && !HOST_ID_PATTERN.test(options.to))
    throw new UsageError(
      `--to: not a host id: ${JSON.stringify(options.to)} (see coduck-worker hosts list)`,
    );
  const deps = (db: Db, queues: Parameters<typeof requestMove>[0]["queues"]) => ({
    db,
    queues,
    downAfterMs: config.host.downAfterMs,
  });
  return withQueue(config, async (db, queues) => {
    const progress = options.json ? io.err : io.out;
    if (options.abort) {
      const aborted = await requestMoveAbort(deps(db, queues), {
        project: slug,
        confirm: options.confirm,
        requestedBy: cliRequester(),
      });
      progress.write(
        `move ${aborted.moveId} of ${slug} aborted at ${aborted.stage}: its unfreeze is queued on ${aborted.unfreezeOn} (the source takes writes again while ${slug} lives there)\n`,
      );
      const move = await latestMove(db, slug);
      io.out.write(options.json ? `${JSON.stringify(move, null, 2)}\n` : `${describeMove(move)}\n`);
      return 0;
    }
    if (options.cleanup) {
      const queued = await requestMoveCleanup(deps(db, queues), {
        project: slug,
        confirm: options.confirm,
      });
      progress.write(
        `queued the cleanup of move ${queued.moveId}: database ${queued.database} is dropped on ${queued.on}\n`,
      );
    } else {
      const queued = await requestMove(deps(db, queues), {
        project: slug,
        to: options.to!,
        confirm: options.confirm,
        requestedBy: cliRequester(),
      });
      progress.write(
        `queued move ${queued.moveId} of ${slug} from ${queued.from} to ${queued.to}: ${MOVE_STAGES.map((s) => `${s.name} on ${s.on === "from" ? queued.from : queued.to}`).join(", ")}\n` +
          `  from the backup on, ${slug}'s database on ${queued.from} is read-only: its app keeps reading, its writes fail (Postgres: cannot execute … in a read-only transaction) until the move ends; a failed move makes it writable again\n`,
      );
    }
    let move = await latestMove(db, slug);
    if (options.wait) {
      const ended = (m: typeof move) =>
        options.cleanup ? m?.cleanupStatus !== "queued" : m?.status !== "running";
      let stage = "";
      while (!ended(move)) {
        if (move && move.stage !== stage && !options.cleanup) progress.write(`  ${move.stage}…\n`);
        stage = move?.stage ?? "";
        await sleep(POLL_MS);
        move = await latestMove(db, slug);
      }
    }
    io.out.write(options.json ? `${JSON.stringify(move, null, 2)}\n` : `${describeMove(move)}\n`);
    if (!options.wait) return 0;
    return (options.cleanup ? move?.cleanupStatus === "done" : move?.status === "moved") ? 0 : 1;
  });
}

async function latestMove(db: Db, slug: string) {
  const project = await db.project.findUnique({ where: { slug }, select: { id: true } });
  return project ? latestProjectMove(db, project.id) : null;
}

/** One line about a move, as `projects move` and `projects show` print it. */
export function describeMove(
  move: {
    id: string;
    fromHostId: string;
    toHostId: string;
    status: string;
    stage: string;
    error: string | null;
    cleanupStatus: string | null;
    cleanupError: string | null;
    fromDatabase: string;
  } | null,
): string {
  if (!move) return "never moved";
  // Errors quote Postgres and pg tools, which name the tenant's own objects: shown as text.
  const error = move.error === null ? null : terminalText(move.error);
  const cleanupError = move.cleanupError === null ? null : terminalText(move.cleanupError);
  const head = `${move.id} ${move.fromHostId} -> ${move.toHostId}`;
  if (move.status === "running") return `${head}: running, stage ${move.stage}`;
  if (move.status === "failed")
    return `${head}: failed at ${move.stage}: ${error ?? "?"} (it serves from ${move.fromHostId})`;
  const cleanup =
    move.cleanupStatus === "done"
      ? `source database ${move.fromDatabase} dropped`
      : move.cleanupStatus === "failed"
        ? `cleanup failed: ${cleanupError ?? "?"}`
        : move.cleanupStatus === "queued"
          ? `cleanup of ${move.fromDatabase} on ${move.fromHostId} queued`
          : `source database ${move.fromDatabase} kept (read-only) on ${move.fromHostId} until --cleanup`;
  return `${head}: moved; ${cleanup}`;
}
