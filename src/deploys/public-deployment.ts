import type { DeploymentRecord } from "../store/deployment-record.js";

/**
 * A deployment as the outside world sees it: what `deploy --json`, `deployments show --json`
 * and `GET /api/deployments` return, one shape for every face.
 */
export function publicDeployment(d: DeploymentRecord) {
  return {
    id: d.id,
    project: d.project,
    status: d.status,
    commitSha: d.commitSha,
    errorCode: d.errorCode,
    hint: d.hint,
    warnings: d.warnings,
    release: d.release,
    degraded: d.degraded,
    trigger: d.trigger,
    attempt: d.attempt,
    sandbox: d.sandbox,
    requestedBy: d.requestedBy,
    retryOf: d.retryOf,
    rollbackTo: d.rollbackTo,
    steps: d.steps.map((s) => ({
      name: s.name,
      status: s.status,
      exitCode: s.exitCode,
      durationMs: s.durationMs,
      errorCode: s.errorCode,
      evidence: s.evidence,
      evidenceLine: s.evidenceLine,
      skipReason: s.skipReason,
    })),
  };
}

/** How a deployment's app commands ran, in words: every face says it the same way. */
export function sandboxText(sandbox: "bwrap" | "off"): string {
  return sandbox === "off"
    ? "off: app code ran unsandboxed, as the worker's user (SANDBOX=off)"
    : "bwrap";
}
