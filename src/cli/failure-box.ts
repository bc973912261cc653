import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import type { DeploymentRecord } from "../store/deployment-record.js";
import { wrapText } from "./wrap-text.js";

/** Columns a box line takes at most (a word longer than a line is cut). */
const WIDTH = 96;

type CatalogueEntry = { title: string; hint: string; retryable: boolean; docs?: string };

function entryOf(code: string | null): CatalogueEntry | null {
  return code !== null && Object.hasOwn(FAILURE_CODES, code)
    ? FAILURE_CODES[code as FailureCode]
    : null;
}

/**
 * A failed deployment's failure as a person reads it at a glance: where it failed and why, the
 * log lines that show it, the fix, what still serves, and whether a retry can help. Plain text,
 * no colour. Empty unless the deployment failed.
 */
export function failureBox(d: DeploymentRecord): string[] {
  if (d.status !== "failed") return [];
  const step = d.steps.find((s) => s.status === "failed");
  const code = step?.errorCode ?? d.errorCode;
  const entry = entryOf(code);
  const where = step ? `failed at ${step.name}` : "failed";
  const lines = heading(`${where}: ${code ?? "no error code"}`, entry);
  if (step?.evidence) {
    lines.push(
      `│ evidence${step.evidenceLine !== null ? ` (log line ${step.evidenceLine})` : ""}:`,
    );
    for (const text of step.evidence.split("\n"))
      lines.push(...wrapText(text, WIDTH, "│   ", "│     "));
  }
  lines.push(...fixAndDocs(step?.hint ?? d.hint ?? entry?.hint ?? null, entry));
  for (const warning of d.warnings)
    lines.push(...wrapText(`warning: ${warning}`, WIDTH, "│ ", "│          "));
  const retry = entry?.retryable
    ? `yes (a passing failure, still there after ${d.attempt} attempt(s): deploy again later)`
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
  const degraded = d.degraded;
  if (!degraded) return [];
  const entry = entryOf(degraded.code);
  const lines = heading(`degraded: ${degraded.code}`, entry);
  if (degraded.evidence) {
    lines.push(`│ the live release logged, at ${degraded.at}:`);
    for (const text of degraded.evidence.split("\n"))
      lines.push(...wrapText(text, WIDTH, "│   ", "│     "));
  }
  lines.push(...fixAndDocs(degraded.hint ?? entry?.hint ?? null, entry));
  lines.push("└ the release stays live: deploy the fix");
  return lines;
}

function heading(what: string, entry: CatalogueEntry | null): string[] {
  return wrapText(entry ? `${what} ─ ${entry.title}` : what, WIDTH, "┌ ", "│   ");
}

function fixAndDocs(hint: string | null, entry: CatalogueEntry | null): string[] {
  return [
    ...(hint ? wrapText(`fix: ${hint}`, WIDTH, "│ ", "│      ") : []),
    ...(entry?.docs ? wrapText(`docs: ${entry.docs}`, WIDTH, "│ ", "│       ") : []),
  ];
}
