import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import type { DeploymentRecord } from "../store/deployment-record.js";

type CatalogueEntry = { title: string; hint: string; retryable: boolean; docs?: string };

/**
 * Why a failed deployment failed, as every view shows it (the CLI's box, the dashboard): the
 * step, the code and its title, the evidence, the fix, the docs, and whether a retry can help.
 */
export type DeploymentFailure = {
  step: string | null;
  code: string | null;
  title: string | null;
  evidence: string | null;
  evidenceLine: number | null;
  hint: string | null;
  docs: string | null;
  retryable: boolean;
  attempt: number;
  warnings: string[];
};

/** What the runtime watch saw a live release log, with the fix. */
export type DegradedRelease = {
  code: string;
  title: string | null;
  evidence: string | null;
  at: string;
  hint: string | null;
  docs: string | null;
};

function entryOf(code: string | null): CatalogueEntry | null {
  return code !== null && Object.hasOwn(FAILURE_CODES, code)
    ? FAILURE_CODES[code as FailureCode]
    : null;
}

/** Null unless the deployment failed. The failed step's own code, fix and evidence win. */
export function deploymentFailure(d: DeploymentRecord): DeploymentFailure | null {
  if (d.status !== "failed") return null;
  const step = d.steps.find((s) => s.status === "failed");
  const code = step?.errorCode ?? d.errorCode;
  const entry = entryOf(code);
  return {
    step: step?.name ?? null,
    code,
    title: entry?.title ?? null,
    evidence: step?.evidence ?? null,
    evidenceLine: step?.evidence ? step.evidenceLine : null,
    hint: step?.hint ?? d.hint ?? entry?.hint ?? null,
    docs: entry?.docs ?? null,
    retryable: entry?.retryable ?? false,
    attempt: d.attempt,
    warnings: d.warnings,
  };
}

/** Null while the live release has logged no documented runtime failure. */
export function degradedRelease(d: DeploymentRecord): DegradedRelease | null {
  const degraded = d.degraded;
  if (!degraded) return null;
  const entry = entryOf(degraded.code);
  return {
    code: degraded.code,
    title: entry?.title ?? null,
    evidence: degraded.evidence,
    at: degraded.at,
    hint: degraded.hint ?? entry?.hint ?? null,
    docs: entry?.docs ?? null,
  };
}
