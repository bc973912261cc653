import { setTimeout as sleep } from "node:timers/promises";
import { type Config, HOST_ID_PATTERN } from "../config.js";
import { UsageError } from "../errors.js";
import { MoveRefusedError, requestMove } from "../moves/request-move.js";
import {
  chooseMoveTarget,
  describeHostState,
  type HostedProject,
  incomingMoves,
  listHosts,
  PlacementError,
  projectsOnHost,
  registeredHost,
  setHostIntent,
  whyNoMoveTarget,
} from "../store/hosts.js";
import { connectDb, type Db } from "../store/prisma.js";
import { cliRequester } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withQueue } from "./with-queue.js";

type Out = NodeJS.WritableStream;
const POLL_MS = 500;

export type DrainOptions = { move?: boolean; confirm?: string; wait?: boolean };

/**
 * `coduck-worker hosts drain H`: no new projects are placed on H; prints each project still
 * there with the command that moves it (to where a move would send it now).
 * `hosts drain H --move --confirm H [--wait]`: also requests a move of every project on H, each
 * to the least-loaded other host that is up and has room, chosen again for each project (moves
 * on their way count), so they spread. A project that cannot be moved (no live release, no
 * database, a move running) is listed with why and stays. Returns the exit code: 0 when every
 * project was queued (with --wait: moved), 1 otherwise; bad input throws UsageError (exit 2).
 */
export async function drainHostCommand(
  config: Config,
  host: string,
  options: DrainOptions,
  out: Out,
): Promise<number> {
  if (!HOST_ID_PATTERN.test(host))
    throw new UsageError(`<host>: not a host id: ${JSON.stringify(host)}`);
  if (!options.move) {
    if (options.confirm !== undefined || options.wait)
      throw new UsageError("hosts drain: --confirm and --wait go with --move");
    const db = connectDb(config.databaseUrl);
    try {
      await setHostIntent(db, host, "draining", config.host.downAfterMs);
      await printPlan(db, config, host, out);
    } finally {
      await db.$disconnect();
    }
    return 0;
  }
  if (options.confirm !== host)
    throw new UsageError(
      `refused: --move requests a move of every project on ${host} and must be confirmed with the host's id (--confirm ${host}); nothing was changed`,
    );
  return withQueue(config, async (db, queues) => {
    const downAfterMs = config.host.downAfterMs;
    // Everything checked before anything changes: the host, its worker, somewhere to go.
    const source = await registeredHost(db, host, downAfterMs);
    if (source.state === "down")
      throw new PlacementError(
        `host ${host} is ${describeHostState(source)}: a move starts with a backup on its host, whose worker must run; start it, or drain without --move; nothing was changed`,
      );
    const projects = await projectsOnHost(db, host);
    const hosts = await listHosts(db, downAfterMs);
    const incoming = await incomingMoves(db);
    if (projects.some(movable) && !chooseMoveTarget(hosts, host, incoming))
      throw new PlacementError(
        `cannot move the projects of ${host}: ${whyNoMoveTarget(hosts, host, incoming)}; nothing was changed`,
      );

    await setHostIntent(db, host, "draining", downAfterMs);
    out.write(`host ${host} is draining: no new projects are placed there\n`);
    const queued: { moveId: string; slug: string; to: string }[] = [];
    const refused: { slug: string; why: string }[] = [];
    for (const project of projects) {
      // Again for each project: the moves queued just before count on their targets.
      const now = await listHosts(db, downAfterMs);
      const counted = await incomingMoves(db);
      const target = chooseMoveTarget(now, host, counted);
      if (!target) {
        const why = whyNotMovable(project) ?? whyNoMoveTarget(now, host, counted);
        refused.push({ slug: project.slug, why });
        out.write(`not moved: ${project.slug}: ${refused.at(-1)!.why}\n`);
        continue;
      }
      try {
        const move = await requestMove(
          { db, queues, downAfterMs },
          {
            project: project.slug,
            to: target.id,
            confirm: project.slug,
            requestedBy: cliRequester(),
          },
        );
        queued.push({ moveId: move.moveId, slug: project.slug, to: move.to });
        out.write(`queued move ${move.moveId} of ${project.slug}: ${host} -> ${move.to}\n`);
      } catch (error) {
        if (!(error instanceof MoveRefusedError)) throw error;
        refused.push({ slug: project.slug, why: error.message });
        out.write(`not moved: ${project.slug}: ${error.message}\n`);
      }
    }
    const arriving = await movesOnto(db, host);
    if (projects.length === 0 && arriving.length === 0)
      out.write(`no project lives on ${host}: its worker may be stopped\n`);
    else if (projects.length > 0)
      out.write(
        `${queued.length} of ${projects.length} projects of ${host} queued to move${refused.length > 0 ? `; ${refused.length} stay on ${host} (above)` : ""}\n`,
      );
    writeArriving(out, host, arriving);
    if (!options.wait) return refused.length === 0 && arriving.length === 0 ? 0 : 1;

    const failed = await waitForMoves(db, queued, out);
    // Those moving onto it were asked before it drained: wait for them too, then say they landed.
    if (arriving.length > 0) {
      await waitForMoves(
        db,
        arriving.map((a) => ({ moveId: a.moveId, slug: a.slug, to: host })),
        out,
      );
    }
    const left = (await registeredHost(db, host, downAfterMs)).projects;
    out.write(
      `${queued.length - failed} moved, ${failed} failed, ${refused.length} not moved: ${left} project${left === 1 ? "" : "s"} left on ${host}\n`,
    );
    return refused.length === 0 && failed === 0 && left === 0 ? 0 : 1;
  });
}

/** Waits until each queued move has ended, printing each end; resolves with how many failed. */
async function waitForMoves(
  db: Db,
  queued: readonly { moveId: string; slug: string; to: string }[],
  out: Out,
): Promise<number> {
  const pending = new Map(queued.map((q) => [q.moveId, q]));
  let failed = 0;
  while (pending.size > 0) {
    const moves = await db.projectMove.findMany({
      where: { id: { in: [...pending.keys()] } },
      select: { id: true, status: true, stage: true, error: true },
    });
    for (const [id, q] of pending) {
      const move = moves.find((m) => m.id === id);
      if (move?.status === "running") continue;
      pending.delete(id);
      if (move?.status === "moved") out.write(`moved: ${q.slug} now lives on ${q.to}\n`);
      else {
        failed++;
        // No record any more (removed by hand): nothing will end it.
        const why = move
          ? `at ${move.stage}: ${terminalText(move.error ?? "?")}`
          : "its move's record is gone";
        out.write(`failed: ${q.slug}: ${why} (it stays)\n`);
      }
    }
    if (pending.size > 0) await sleep(POLL_MS);
  }
  return failed;
}

function movable(project: HostedProject): boolean {
  return project.live && project.database && project.movingTo === null;
}

/**
 * What plain `hosts drain` prints: each project left on the host with the command that moves
 * it, to where a move would send it now (spread as --move would), or why it cannot be moved.
 */
async function printPlan(db: Db, config: Config, host: string, out: Out): Promise<void> {
  const projects = await projectsOnHost(db, host);
  const arriving = await movesOnto(db, host);
  out.write(`host ${host} is draining: no new projects are placed there`);
  if (projects.length === 0) {
    out.write(
      arriving.length === 0 ? `; no project lives on it: its worker may be stopped\n` : "\n",
    );
    writeArriving(out, host, arriving);
    return;
  }
  out.write(
    `; its ${projects.length} project${projects.length === 1 ? "" : "s"} stay and keep deploying there until moved:\n`,
  );
  const hosts = await listHosts(db, config.host.downAfterMs);
  const planned = new Map(await incomingMoves(db));
  let unplaced: string | null = null;
  for (const project of projects) {
    const cannot = whyNotMovable(project);
    if (cannot) {
      out.write(`  ${project.slug}: ${cannot}\n`);
      continue;
    }
    const target = chooseMoveTarget(hosts, host, planned);
    if (target) planned.set(target.id, (planned.get(target.id) ?? 0) + 1);
    else unplaced ??= whyNoMoveTarget(hosts, host, planned);
    const to = target?.id ?? "<host>";
    out.write(
      `  coduck-worker projects move ${project.slug} --to ${to} --confirm ${project.slug}\n`,
    );
  }
  if (unplaced) out.write(`(no host to move to: ${unplaced})\n`);
  out.write(`or all at once: coduck-worker hosts drain ${host} --move --confirm ${host}\n`);
  writeArriving(out, host, arriving);
}

/** A move onto the host, asked before it drained: it still lands there. */
type Arriving = { moveId: string; slug: string; from: string; stage: string };

/** The running moves whose target is `host`, with their projects' slugs. */
async function movesOnto(db: Db, host: string): Promise<Arriving[]> {
  const moves = await db.projectMove.findMany({
    where: { toHostId: host, status: "running" },
    select: { id: true, projectId: true, fromHostId: true, stage: true },
    orderBy: { createdAt: "asc" },
  });
  if (moves.length === 0) return [];
  const projects = await db.project.findMany({
    where: { id: { in: moves.map((m) => m.projectId) } },
    select: { id: true, slug: true },
  });
  const slugOf = new Map(projects.map((p) => [p.id, p.slug]));
  return moves.map((m) => ({
    moveId: m.id,
    slug: slugOf.get(m.projectId) ?? m.projectId,
    from: m.fromHostId,
    stage: m.stage,
  }));
}

/**
 * Moves onto a draining host land there all the same (their stages run on its worker): its
 * worker must keep running until they have ended, and what they brought is moved away again.
 */
function writeArriving(out: Out, host: string, arriving: readonly Arriving[]): void {
  if (arriving.length === 0) return;
  out.write(
    `${arriving.length} project${arriving.length === 1 ? " is" : "s are"} still moving onto ${host} (asked before it drained): keep its worker running until they end, then drain it again:\n`,
  );
  for (const a of arriving)
    out.write(`  ${a.slug}: move ${a.moveId} from ${a.from}, at ${a.stage}\n`);
}

function whyNotMovable(project: HostedProject): string | null {
  if (project.movingTo)
    return `moving to ${project.movingTo} already (projects show ${project.slug})`;
  if (!project.live)
    return "no live release, so it cannot be moved (a move deploys the live release's commit): deploy it first, or delete it";
  if (!project.database) return "no database yet, so it cannot be moved: deploy it first";
  return null;
}
