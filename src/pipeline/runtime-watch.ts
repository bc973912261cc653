import { statSync } from "node:fs";
import type { Config } from "../config.js";
import { coerceError } from "../errors.js";
import { createClassifier } from "../failures/classify.js";
import { degradesLiveRelease, type FailureCode } from "../failures/codes.js";
import { STEP_FAILED } from "../failures/rules/rule.js";
import { evidenceText, lineText } from "../failures/scan/line-text.js";
import { matchLine } from "../failures/scan/match-line.js";
import type { Logger } from "../logger.js";
import { followFile } from "../releases/follow-file.js";
import { redactSecrets } from "../secrets/redact-secrets.js";
import { markDegraded } from "../store/mark-degraded.js";
import type { Db } from "../store/prisma.js";

// An error report spans a few lines (a message, its stack, its fields): they come together.
const SETTLE_MS = 250;
const POLL_MS = 100;

export type RuntimeWatchDeps = {
  db: Db;
  config: Config;
  logger: Logger;
  deployment: { id: string; projectId: string };
  /** Redacted from the evidence it records, as from the step logs. */
  secrets?: readonly string[];
};

type Watch = { stop(): Promise<void> };

/** The running watches, one per project: the live release's. */
const watches = new Map<string, Watch>();

/**
 * Watches a release that just went live: for RUNTIME_WATCH_SECONDS, what the app appends to its
 * log (from now on) is classified as `runtime` output, and the first documented runtime failure
 * marks the deployment degraded; the release stays live. Returns at once: the watch runs in the
 * background, outside the deploy job. It replaces the project's previous watch, and ends with
 * its window, a newer release of the project, or stopRuntimeWatches().
 */
export function watchRuntime(deps: RuntimeWatchDeps, logFile: string): void {
  const { projectId } = deps.deployment;
  const previous = watches.get(projectId);
  watches.delete(projectId);
  void previous?.stop();
  if (deps.config.runtimeWatchMs <= 0) return;
  const watch = startWatch(deps, logFile, () => {
    if (watches.get(projectId) === watch) watches.delete(projectId);
  });
  watches.set(projectId, watch);
}

/** Stops every watch of this process (a worker shutting down), recording what they saw. */
export async function stopRuntimeWatches(): Promise<void> {
  const running = [...watches.values()];
  watches.clear();
  await Promise.all(running.map((watch) => watch.stop()));
}

function startWatch(deps: RuntimeWatchDeps, logFile: string, onEnd: () => void): Watch {
  const logger = deps.logger.child({ watch: "runtime" });
  const classifier = createClassifier("runtime");
  let lineNumber = 0;
  let hit: { code: FailureCode; line: number; text: string } | null = null;
  let settleTimer: NodeJS.Timeout | undefined;
  let recording: Promise<void> = Promise.resolve();
  let done = false;
  let stopping: Promise<void> | undefined;

  const onLine = (line: string) => {
    if (done) return;
    const raw = redactSecrets(line, deps.secrets ?? []);
    lineNumber++;
    classifier.push(raw);
    if (hit) return;
    const text = lineText(raw);
    const rule = matchLine(text, "runtime");
    if (!rule || rule.code === STEP_FAILED || !degradesLiveRelease(rule.code)) return;
    hit = { code: rule.code, line: lineNumber, text: evidenceText(text) };
    settleTimer = setTimeout(settle, SETTLE_MS);
    settleTimer.unref();
  };

  // The classifier's verdict gives the whole report as evidence when it agrees with the hit.
  const settle = () => {
    clearTimeout(settleTimer);
    if (!hit || done) return;
    done = true;
    const verdict = classifier.finish({ exitCode: null });
    const evidence = verdict.code === hit.code ? verdict.evidence : [hit];
    const failure = { code: hit.code, evidence: evidence.map((e) => e.text).join("\n") };
    recording = markDegraded(deps.db, deps.deployment.id, failure).then(
      (marked) => {
        if (marked) logger.warn(failure, "live release degraded: it logged a runtime failure");
      },
      (error) => logger.error({ err: coerceError(error) }, "could not record a degraded release"),
    );
    void watch.stop();
  };

  // The offset at which the release went live: what it printed before is the start step's.
  const from = statSync(logFile, { throwIfNoEntry: false })?.size ?? 0;
  const follower = followFile(logFile, onLine, POLL_MS, from);
  const window = setTimeout(() => void watch.stop(), deps.config.runtimeWatchMs);
  window.unref();
  logger.debug({ logFile, windowMs: deps.config.runtimeWatchMs }, "runtime watch started");

  const watch: Watch = {
    stop() {
      stopping ??= (async () => {
        clearTimeout(window);
        await follower.stop().catch((error: unknown) => {
          logger.warn({ err: coerceError(error) }, "could not read the release's log");
        });
        settle();
        done = true;
        await recording;
        onEnd();
        logger.debug("runtime watch ended");
      })();
      return stopping;
    },
  };
  return watch;
}
