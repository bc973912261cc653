import { DelayedError, type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type MoveDeps, runMoveStage, WrongHostError } from "../moves/run-move-stage.js";
import { HostQueues } from "../queue/host-queues.js";
import { moveJobPayload } from "../queue/move-job.js";
import { connectRedisForCommand } from "../queue/redis.js";
import { holdProjectLane } from "../store/hold-project-lane.js";
import { RecordedFailure } from "./recorded-failure.js";

const LANE_RETRY_MS = 1_000;
/** A backup waiting for its target's moves in flight to end (moves/run-move-stage.ts). */
const TARGET_RETRY_MS = 5_000;

/** The `move` job: one stage of a project's move, on the host that stage runs on. */
export async function processMove(
  deps: Omit<MoveDeps, "queues">,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const payload = moveJobPayload.safeParse(job.data);
  if (!payload.success)
    throw new UnrecoverableError(`invalid move job payload: ${payload.error.message}`);
  const { moveId, stage } = payload.data;
  const move = await deps.db.projectMove.findUnique({
    where: { id: moveId },
    select: { projectId: true },
  });
  if (!move) return "already-ended";
  // The next stage goes to the other host's queue: a connection of its own, for this job.
  const redis = connectRedisForCommand(deps.config.redis);
  const queues = new HostQueues(redis, deps.config.queuePrefix);
  try {
    const run = await runMoveStage({ ...deps, queues }, moveId, stage, signal, (work) =>
      holdProjectLane(deps.config.databaseUrl, move.projectId, job, token, work),
    );
    if (run === "handed-back") {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (run === "busy" || run === "waiting") {
      await job.moveToDelayed(
        Date.now() + (run === "busy" ? LANE_RETRY_MS : TARGET_RETRY_MS),
        token,
      );
      throw new DelayedError();
    }
    if (run === "failed") throw new RecordedFailure("move");
    return run;
  } catch (error) {
    if (error instanceof WrongHostError) throw new UnrecoverableError(error.message);
    throw error;
  } finally {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
