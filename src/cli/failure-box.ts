import { degradedRelease, deploymentFailure } from "../deploys/deployment-failure.js";
import type { DeploymentRecord } from "../store/deployment-record.js";
import { wrapText } from "./wrap-text.js";

/** Columns a box line takes at most (a word longer than a line is cut). */
const WIDTH = 96;

/**
 * A failed deployment's failure as a person reads it at a glance: where it failed and why, the
 * log lines that show it, the fix, what still serves, and whether a retry can help. Plain text,
 * no colour. Empty unless the deployment failed.
 */
export function failureBox(d: DeploymentRecord): string[] {
  const failure = deploymentFailure(d);
  if (!failure) return [];
  const where = failure.step ? `failed at ${failure.step}` : "failed";
  const lines = heading(`${where}: ${failure.code ?? "no error code"}`, failure.title);
  if (failure.evidence) {
    lines.push(
      `│ evidence${failure.evidenceLine !== null ? ` (log line ${failure.evidenceLine})` : ""}:`,
    );
    for (const text of failure.evidence.split("\n"))
      lines.push(...wrapText(text, WIDTH, "│   ", "│     "));
  }
  lines.push(...fixAndDocs(failure.hint, failure.docs));
  for (const warning of failure.warnings)
    lines.push(...wrapText(`warning: ${warning}`, WIDTH, "│ ", "│          "));
  const retry = failure.retryable
    ? `yes (a passing failure, still there after ${failure.attempt} attempt(s): deploy again later)`
    : "no (a retry cannot help)";
  lines.push(`└ retry: ${retry}`);
  return lines;
}

/**
 * A live release the runtime watch saw fail as the platform docs describe (a missing table, a
 * pool exhausted…): the deployment succeeded and keeps serving, but needs a fix. Empty when not
 * degraded.
 */
export function degradedBox(d: DeploymentRecord): string[] {
  const degraded = degradedRelease(d);
  if (!degraded) return [];
  const lines = heading(`degraded: ${degraded.code}`, degraded.title);
  if (degraded.evidence) {
    lines.push(`│ the live release logged, at ${degraded.at}:`);
    for (const text of degraded.evidence.split("\n"))
      lines.push(...wrapText(text, WIDTH, "│   ", "│     "));
  }
  lines.push(...fixAndDocs(degraded.hint, degraded.docs));
  lines.push(
    d.release?.crashedAt
      ? "└ supervisord gave up restarting it: the project is down until the fix is deployed"
      : "└ the release stays live: deploy the fix",
  );
  return lines;
}

function heading(what: string, title: string | null): string[] {
  return wrapText(title ? `${what} ─ ${title}` : what, WIDTH, "┌ ", "│   ");
}

function fixAndDocs(hint: string | null, docs: string | null): string[] {
  return [
    ...(hint ? wrapText(`fix: ${hint}`, WIDTH, "│ ", "│      ") : []),
    ...(docs ? wrapText(`docs: ${docs}`, WIDTH, "│ ", "│       ") : []),
  ];
}
