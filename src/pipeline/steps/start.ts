import { setTimeout as sleep } from "node:timers/promises";
import { hasScript, readPackageJson } from "../../apps/read-package-json.js";
import { childEnv } from "../../exec/child-env.js";
import { processStartTicks } from "../../exec/process-identity.js";
import { StepFailure } from "../../failures/step-failure.js";
import { openReleaseHost, type ReleaseHost } from "../../hosting/release-host.js";
import { startReleaseProgram, stopReleaseProgram } from "../../hosting/release-program.js";
import { releaseSocket } from "../../hosting/release-socket.js";
import { routeToRelease } from "../../hosting/route-release.js";
import { stopRelease } from "../../hosting/stop-release.js";
import { proveDatabasePath } from "../../provisioning/prove-database-path.js";
import { followFile } from "../../releases/follow-file.js";
import { freePort } from "../../releases/free-port.js";
import { waitUntilHealthy } from "../../releases/wait-until-healthy.js";
import { MOVE_TRIGGER, switchProjectHost } from "../../store/project-moves.js";
import {
  makeLive,
  markReleaseStopped,
  recordRelease,
  recordReleaseUrl,
} from "../../store/releases.js";
import type { Step, StepContext } from "../context.js";
import { interruptionOf, StepInterrupted } from "../interruption.js";
import { watchRuntime } from "../runtime-watch.js";

const DEFAULT_HEALTH_TIMEOUT_S = 60;
/**
 * How long the start log waits, once the app is healthy, for more of its output: the port
 * answers as soon as the app binds, and its listen callback prints a moment later (under 1 ms
 * on an idle machine). Long enough for a busy one, short beside the step.
 */
const STARTUP_LINES_MS = 25;

/**
 * Starts the new release beside the live one, as a supervisord program (restarted when it
 * dies), waits until it is healthy, and only then makes it live: the project's stable address
 * switches to it, and the previous release stops after DRAIN_SECONDS, once the requests it was
 * serving are done. A release that exits or never becomes healthy is stopped, and the previous
 * one keeps serving.
 */
export const start: Step = {
  name: "start",
  async run(ctx) {
    const command =
      ctx.app.config.start ??
      (hasScript(await readPackageJson(ctx.releaseDir), "start") ? "npm start" : null);
    if (!command) {
      throw new StepFailure(
        "MISSING_START",
        "there is no start command: set coduck.json start or a package.json start script",
      );
    }
    await proveDatabase(ctx);
    const port = await freePort();
    const env = childEnv(
      { ...ctx.appEnv, PORT: String(port), NODE_ENV: "production" },
      ctx.releaseDir,
    );
    ctx.noteCommand(command);
    ctx.say(`$ ${command}   (PORT=${port})`);
    const host = await openReleaseHost(ctx.config);
    const plain = { file: "sh", args: ["-c", command], cwd: ctx.releaseDir, env };
    // The log lies beside the release directory, not in it: the app may write its own directory.
    const logFile = `${ctx.releaseDir}.log`;
    const app = await startReleaseProgram(host, {
      deploymentId: ctx.deployment.id,
      command: ctx.sandbox
        ? await ctx.sandbox.wrap(plain, "release", {
            publishSocket: releaseSocket(ctx.config.dataDir, ctx.deployment.id),
          })
        : plain,
      logFile,
      policy: ctx.config.releases,
    });
    if (app.pid !== null)
      await recordRelease(ctx.db, ctx.deployment.id, {
        port,
        pid: app.pid,
        startTicks: processStartTicks(app.pid),
        logFile,
        program: app.program,
      });
    const output = followFile(logFile, ctx.appOutput);

    const healthcheck = ctx.app.config.healthcheck;
    const health = await waitUntilHealthy({
      port,
      path: healthcheck?.path,
      timeoutMs: (healthcheck?.timeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_S) * 1000,
      exited: app.exited,
      signal: ctx.signal,
    });
    app.stopWatching();
    if (!health.healthy) {
      await stopReleaseProgram(host, app.program, logFile);
      await output.stop();
      await markReleaseStopped(ctx.db, ctx.deployment.id);
      if (ctx.signal.aborted) throw new StepInterrupted(interruptionOf(ctx.signal));
      if (health.reason === "exited") {
        const how =
          health.code !== null
            ? `exited with code ${health.code}`
            : health.signal !== null
              ? `was killed by ${health.signal}`
              : "exited";
        throw new StepFailure("START_CRASHED", `the app ${how} before it became healthy`, {
          exitCode: health.code,
          signal: health.signal,
        });
      }
      throw new StepFailure(
        "HEALTHCHECK_FAILED",
        `the app was not healthy within ${healthcheck?.timeoutSeconds ?? DEFAULT_HEALTH_TIMEOUT_S}s: ${health.detail}`,
        { evidence: health.detail },
      );
    }
    // Going live does not wait for the app's last start-up lines: they are awaited (and the
    // step says it is healthy) before it says anything more or watches the log on. Reading them
    // cannot fail the step: the release is healthy, and soon live.
    const healthy = output
      .stop({ settleMs: STARTUP_LINES_MS })
      .catch((error: Error) =>
        ctx.logger.warn({ err: error }, "could not read the app's last start-up lines"),
      )
      .then(() =>
        ctx.say(`healthy on port ${port}${healthcheck?.path ? ` (GET ${healthcheck.path})` : ""}`),
      );
    const live = await goLive(ctx, { host, program: app.program, logFile, port }).finally(
      () => healthy,
    );
    watchRuntime(ctx, logFile);
    ctx.say(
      `live at ${live.url}${live.moveId ? `, served from this host now (move ${live.moveId})` : ""}`,
    );
    const { previous } = live;
    if (previous?.releaseProgram || previous?.releasePid) {
      // Requests already on the previous release finish before it stops.
      const { drainMs } = ctx.config.releases;
      if (drainMs > 0) {
        ctx.say(`previous release ${previous.id} drains for ${drainMs / 1000}s`);
        await sleep(drainMs);
      }
      const how = await stopRelease(host, previous);
      await markReleaseStopped(ctx.db, previous.id);
      ctx.say(
        `previous release ${previous.id} ${how === "killed" ? "killed after the grace period" : "stopped"}`,
      );
    }
    return { status: "succeeded" };
  },
};

/**
 * Makes the healthy release live: the project's stable address switches to it. A move's deploy
 * on its target host goes live by the move's switch (the project's host and live release change
 * in one transaction); the source's release stops there, so there is no previous one here.
 */
async function goLive(
  ctx: StepContext,
  release: { host: ReleaseHost; program: string; logFile: string; port: number },
): Promise<{ url: string; previous: Awaited<ReturnType<typeof makeLive>>; moveId?: string }> {
  const { host, program, logFile, port } = release;
  const route = () =>
    routeToRelease(host, ctx.deployment.project, { deploymentId: ctx.deployment.id, port });
  if (await isMoveDeployment(ctx)) {
    const switched = await switchProjectHost(ctx.db, ctx.deployment.id);
    if (switched === "refused") {
      await stopReleaseProgram(host, program, logFile);
      await markReleaseStopped(ctx.db, ctx.deployment.id);
      throw new Error(
        "the move this deploy belongs to is no longer waiting for its switch: the release was stopped and the project stays where it is",
      );
    }
    const url = await route();
    await recordReleaseUrl(ctx.db, ctx.deployment.id, url);
    return { url, previous: null, moveId: switched.moveId };
  }
  const previous = await makeLive(ctx.db, ctx.deployment.projectId, ctx.deployment.id);
  const url = await route();
  await recordReleaseUrl(ctx.db, ctx.deployment.id, url);
  return { url, previous };
}

async function isMoveDeployment(ctx: StepContext): Promise<boolean> {
  const found = await ctx.db.deployment.findUnique({
    where: { id: ctx.deployment.id },
    select: { trigger: true },
  });
  return found?.trigger === MOVE_TRIGGER;
}

/**
 * Before anything starts: the release's way to its database works (see prove-database-path),
 * or the step fails and the previous release keeps serving.
 */
async function proveDatabase(ctx: StepContext): Promise<void> {
  const pooledUrl = ctx.appEnv.DATABASE_URL;
  if (!pooledUrl) return;
  const proof = await proveDatabasePath(
    { db: ctx.db, config: ctx.config, keyring: ctx.keyring },
    ctx.deployment.project,
    pooledUrl,
  );
  if (!proof.ok) {
    ctx.say(proof.detail);
    throw new StepFailure(proof.code, proof.detail, { evidence: proof.evidence });
  }
  for (const action of proof.actions) ctx.say(action);
  ctx.say(
    ctx.config.pgbouncer.loginCheck
      ? "database path verified: PgBouncer lookup intact, the project's role logs in through PgBouncer"
      : "PgBouncer lookup verified (PGBOUNCER_LOGIN_CHECK=off: no login through PgBouncer)",
  );
}
