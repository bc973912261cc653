import { sandboxText } from "../deploys/public-deployment.js";
import type { DeploymentRecord } from "../store/deployment-record.js";
import { degradedBox, failureBox } from "./failure-box.js";
import { terminalText } from "./terminal-text.js";

/**
 * A deployment as a person reads it in a terminal; a failed one ends with a box saying where
 * and why it failed, the evidence and the fix, a degraded one with what its release logged.
 */
export function formatDeployment(d: DeploymentRecord): string {
  const crashed = d.release?.crashedAt ? "crashed" : "degraded";
  const degraded = d.degraded ? ` (${crashed}: ${d.degraded.code})` : "";
  const lines = [
    `deployment ${d.id}`,
    `  project   ${d.project}`,
    `  status    ${d.status}${d.errorCode ? ` (${d.errorCode})` : degraded}`,
    `  ref       ${d.ref}${d.commitSha ? ` @ ${d.commitSha.slice(0, 12)}` : ""}`,
    `  repo      ${d.repoUrl}`,
    `  queued    ${d.queuedAt}`,
    `  trigger   ${d.trigger}${d.requestedBy ? ` (by ${d.requestedBy})` : ""}`,
  ];
  if (d.sandbox) lines.push(`  sandbox   ${sandboxText(d.sandbox)}`);
  if (d.retryOf) {
    const from = d.retryOf.fromStep ? `, from ${d.retryOf.fromStep}` : ", from the start";
    lines.push(`  retry     ${d.retryOf.number} of ${d.retryOf.id}${from}`);
  }
  if (d.rollbackTo) lines.push(`  rollback  to deployment ${d.rollbackTo}`);
  if (d.release) lines.push(`  release   ${releaseText(d.release)}`);
  const box = failureBox(d);
  // The box shows the fix, the evidence and the warnings of a failed deployment.
  if (box.length === 0) {
    if (d.hint) lines.push(`  fix       ${d.hint}`);
    for (const warning of d.warnings) lines.push(`  warning   ${warning}`);
  }
  lines.push("  steps");
  for (const step of d.steps) lines.push(`    ${formatStep(step)}`);
  const failed = d.steps.find((s) => s.status === "failed");
  if (box.length === 0 && failed?.evidence) lines.push(`  evidence  ${failed.evidence}`);
  lines.push(...box, ...degradedBox(d));
  // The evidence and the release's lines are the tenant's: shown, never obeyed by the terminal.
  return lines.join("\n").split("\n").map(terminalText).join("\n");
}

/** The live release in one line: where it is served, what serves it, what supervisord did. */
function releaseText(release: NonNullable<DeploymentRecord["release"]>): string {
  const restarts = release.restarts === 1 ? "1 restart" : `${release.restarts} restarts`;
  const last = release.lastExit ? ` (last: ${release.lastExit})` : "";
  const crashed = release.crashedAt ? `; crashed at ${release.crashedAt}` : "";
  return `${release.url} → ${release.upstream}, pid ${release.pid}, ${restarts}${last}${crashed}`;
}

export function formatStep(step: DeploymentRecord["steps"][number]): string {
  const parts = [step.name.padEnd(10), step.status.padEnd(11)];
  if (step.durationMs !== null) parts.push(`${(step.durationMs / 1000).toFixed(1)}s`);
  if (step.errorCode) parts.push(step.errorCode);
  if (step.skipReason) parts.push(`(${step.skipReason})`);
  return parts.join(" ").trimEnd();
}

export function formatDeploymentRow(d: DeploymentRecord): string {
  return [d.id, d.project.padEnd(20), d.status.padEnd(10), d.ref, d.errorCode ?? ""]
    .join("  ")
    .trimEnd();
}
