import type { DoctorContext } from "./doctor-context.js";

export type CheckStatus = "ok" | "warn" | "fail";

/** What one check found: a status, a sentence, and for warn or fail what to do about it. */
export type CheckResult = { status: CheckStatus; message: string; fix?: string };

/** One thing `coduck-worker doctor` checks; checks/index.ts lists them in order. */
export type Check = {
  /** Short, kebab-case: the first column of doctor's output. */
  name: string;
  run(ctx: DoctorContext): Promise<CheckResult>;
};

export const ok = (message: string): CheckResult => ({ status: "ok", message });
export const warn = (message: string, fix: string): CheckResult => ({
  status: "warn",
  message,
  fix,
});
export const fail = (message: string, fix: string): CheckResult => ({
  status: "fail",
  message,
  fix,
});
