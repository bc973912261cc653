import { constants } from "node:os";
import type { FailureStep } from "../pipeline/step-names.js";
import type { EvidenceLine, Hit, Observations, StepExit } from "./classification.js";
import { type FailureCode, failureCodeEntry, STEP_FAILURE_CODES } from "./codes.js";
import { MIGRATION_REACH } from "./rules/migration-activity.js";
import { EVIDENCE_RANK, evidenceRank, STEP_FAILED } from "./rules/rule.js";
import type { Stack } from "./rules/stacks.js";

/** Lines between two hits of one error report (a message, its stack, its fields). */
const REPORT_GAP = 40;
/** Lines within which a hit of another code makes the call close. */
const CLOSE_CALL = 30;
/** Evidence lines shown at most. */
const MAX_EVIDENCE = 4;

export type Verdict = {
  code: FailureCode;
  evidence: EvidenceLine[];
  variant?: string;
  runnerUp?: { code: FailureCode; evidence: EvidenceLine[] };
};

/**
 * The failure a step's log and exit show. The log's verdict is the last error that names a
 * cause (a handled error logged before it does not), unless an uncaught error came after it;
 * the exit overrides it where it says more: a SIGKILL is the OOM killer, a timeout or another
 * signal is nothing the log can explain.
 */
export function decide(obs: Observations, step: FailureStep, exit: StepExit): Verdict {
  const fromLog = logVerdict(obs, step, exit.exitCode !== null || Boolean(exit.signal));
  const signal = exitSignal(exit);
  if (exit.timedOut) return overruled("STEP_TIMEOUT", obs.lastLines.slice(-1), fromLog);
  // Exit 0 ended a step that should have kept running: what it logged before, it handled.
  if (exit.exitCode === 124 || exit.exitCode === 0) return overruled("UNKNOWN", [], fromLog);
  if (fromLog?.code === "OUT_OF_MEMORY") return fromLog;
  if (signal === "SIGKILL") return overruled("OUT_OF_MEMORY", obs.lastLines.slice(-1), fromLog);
  if (signal && signal !== "SIGABRT") return overruled("UNKNOWN", [], fromLog);
  // Nothing decisive: no line is evidence (the pipeline shows the log's last error lines,
  // pick-evidence.ts).
  return fromLog ?? { code: "UNKNOWN", evidence: [] };
}

function logVerdict(obs: Observations, step: FailureStep, ended: boolean): Verdict | undefined {
  const shown = stacksShown(obs);
  const codeOf = (hit: Hit) => finalCode(obs, shown, hit, step, ended);
  // A banner only says that something failed: it is read when nothing else was found.
  const causes = obs.hits.filter((hit) => hit.rule.evidence !== "banner");
  const hits = causes.length > 0 ? causes : obs.hits;
  const winner = pickWinner(hits, step, ended);
  if (!winner) return silentMigration(obs, step);

  const code = codeOf(winner);
  const report = reportOf(hits, winner, code, codeOf);
  const evidence = pickEvidence(report);
  // A SQL error read as the failure of the migration running.
  const remapped = code !== winner.code && code === winner.rule.inMigration;
  if (remapped) {
    const first = evidence[0]?.line ?? winner.line;
    const sign = obs.migration.findLast((m) => !m.done && m.line < first);
    if (sign && first - sign.line <= MIGRATION_REACH.before) evidence.unshift(line(sign));
  }
  if (remapped) {
    return {
      code,
      evidence: evidence.slice(0, MAX_EVIDENCE),
      ...variantOf(report, code, obs.stacks),
      runnerUp: { code: winner.code, evidence: [line(winner)] },
    };
  }
  const rival = closeRival(hits, winner, report, code, codeOf);
  if (rival?.tie) {
    // Two causes, as strong and as near: the log does not say which one failed the step.
    const shown = [rival.hit, winner].sort((a, b) => a.line - b.line).map(line);
    return {
      code: "UNKNOWN",
      evidence: shown,
      runnerUp: { code, evidence: evidence.slice(0, MAX_EVIDENCE) },
    };
  }
  return {
    code,
    evidence: evidence.slice(0, MAX_EVIDENCE),
    ...variantOf(report, code, obs.stacks),
    ...(rival && { runnerUp: { code: codeOf(rival.hit), evidence: [line(rival.hit)] } }),
  };
}

/**
 * A schema step whose migration tool was still applying when it failed, printing no error
 * (drizzle-kit migrate can end on its spinner): the migration failed, its tool said no more.
 */
function silentMigration(obs: Observations, step: FailureStep): Verdict | undefined {
  const last = obs.lastLines.at(-1);
  const sign = obs.migration.at(-1);
  if (step !== "schema" || !last || !sign || sign.done) return undefined;
  if (last.line - sign.line > MIGRATION_REACH.after) return undefined;
  const stack = obs.stacks.findLast((s) => s.line <= sign.line);
  const variants = failureCodeEntry("MIGRATION_FAILED").variants;
  return {
    code: "MIGRATION_FAILED",
    evidence: [line(sign)],
    ...(stack && variants?.[stack.stack] && { variant: stack.stack }),
  };
}

/**
 * The line that names the failure: the last cause named, unless the process then ended on an
 * uncaught error of its own (a cause logged before it was handled); and of the lines just
 * before it that state an error, the one of the strongest kind (a database's or tool's error
 * code over a sentence, a sentence over a bare error): later lines of a failure repeat it
 * less precisely.
 */
function pickWinner(hits: readonly Hit[], step: FailureStep, ended: boolean): Hit | undefined {
  const specific = hits.findLast((hit) => hit.rule.code !== STEP_FAILED);
  const generic = hits.findLast((hit) => hit.rule.code === STEP_FAILED);
  if (!specific) return generic;
  // An app still serving at runtime was not ended by an error it logged.
  const crashedAfter =
    generic?.rule.crash &&
    generic.line > specific.line &&
    (step !== "runtime" || ended) &&
    !reportsSame(specific, generic);
  if (crashedAfter) return generic;
  let best = specific;
  for (let i = hits.indexOf(specific) - 1; i >= 0; i--) {
    const hit = hits[i]!;
    if (specific.line - hit.line > CLOSE_CALL) break;
    // An uncaught error ended what came before it.
    if (hit.rule.crash && hit.rule.code === STEP_FAILED) break;
    if (
      hit.rule.code !== STEP_FAILED &&
      hit.raised &&
      evidenceRank(hit.rule) > evidenceRank(best.rule)
    )
      best = hit;
  }
  return best;
}

/**
 * Whether an uncaught error just after an error code reports the same failure: a tool states
 * its code, then its message as `error: …` lines (Prisma's P1012). A code only mentioned in a
 * log line (`warm-up skipped: relation … does not exist`) was handled: the crash is another failure.
 */
function reportsSame(specific: Hit, crash: Hit): boolean {
  return (
    specific.raised &&
    evidenceRank(specific.rule) >= EVIDENCE_RANK.code &&
    crash.line - specific.line <= REPORT_GAP
  );
}

// A peer that is a database: the ports Postgres and PgBouncer listen on, the host names a
// compose file gives one.
const DATABASE_PEER =
  /[:\s](?:5432|5433|6432)\b|\b(?:ENOTFOUND|EAI_AGAIN) (?:db|database|postgres|postgresql|pg|pgbouncer)\b/;

/** The stacks the log shows, and "database" where any database client shows. */
function stacksShown(obs: Observations): ReadonlySet<Stack | "database"> {
  const shown = new Set<Stack | "database">(obs.stacks.map((s) => s.stack));
  if (
    shown.size > 0 ||
    obs.hits.some((hit) => hit.rule.stack === "database" && DATABASE_PEER.test(hit.text))
  )
    shown.add("database");
  return shown;
}

/**
 * A SQL error near a running migration is the migration's failure. A rule for one stack's
 * wording names nothing where that stack did not run. At runtime, an uncaught error that
 * ended the process is a crash.
 */
function finalCode(
  obs: Observations,
  shown: ReadonlySet<Stack | "database">,
  hit: Hit,
  step: FailureStep,
  ended: boolean,
): FailureCode {
  if (hit.rule.stack && !shown.has(hit.rule.stack)) return STEP_FAILURE_CODES[step];
  if (step === "runtime" && ended && hit.rule.crash) return "START_CRASHED";
  const inMigration = hit.rule.inMigration;
  if (!inMigration) return hit.code;
  const before = obs.migration.findLast((m) => m.line <= hit.line);
  const after = obs.migration.find((m) => m.line > hit.line && !m.done);
  const migrating =
    (before && !before.done && hit.line - before.line <= MIGRATION_REACH.before) ||
    (after && after.line - hit.line <= MIGRATION_REACH.after);
  return migrating ? inMigration : hit.code;
}

/**
 * The winner's error report: the hits of its code around it (a message, its fields, the
 * database error a migration tool prints after its own), up to a hit of another cause.
 */
function reportOf(
  hits: readonly Hit[],
  winner: Hit,
  code: FailureCode,
  codeOf: (hit: Hit) => FailureCode,
): Hit[] {
  const report = [winner];
  const at = hits.indexOf(winner);
  for (const step of [-1, 1]) {
    let edge = winner.line;
    for (let i = at + step; i >= 0 && i < hits.length; i += step) {
      const hit = hits[i]!;
      if (Math.abs(hit.line - edge) > REPORT_GAP) break;
      if (codeOf(hit) === code) {
        if (step < 0) report.unshift(hit);
        else report.push(hit);
        edge = hit.line;
      } else if (hit.rule.code !== STEP_FAILED || hit.rule.crash) break;
    }
  }
  return report;
}

/**
 * The report's messages, each text once, first ones first: the lines that name the cause
 * rather than only "an error", and not a dumped error object's fields, when it has such lines.
 */
function pickEvidence(report: readonly Hit[]): EvidenceLine[] {
  const preferred = [
    (hit: Hit) => isMessage(hit) && hit.rule.code !== STEP_FAILED,
    isMessage,
    () => true,
  ];
  const tier = preferred.find((keep) => report.some(keep))!;
  const shown = tier === preferred[2] ? report.slice(-1) : report.filter(tier);
  // A tool's own verdict first, then the error it reports last (P3018, then the SQL error).
  const lastShown = shown.at(-1)!;
  const after = report.findLast((hit) => hit.line > lastShown.line && isMessage(hit));
  const lastOfText = new Map<string, Hit>();
  for (const hit of shown) {
    lastOfText.delete(hit.text);
    lastOfText.set(hit.text, hit);
  }
  const distinct = [...lastOfText.values()].sort((a, b) => a.line - b.line);
  const room = after ? MAX_EVIDENCE - 1 : MAX_EVIDENCE;
  const picked =
    distinct.length > room ? [...distinct.slice(0, room - 1), distinct.at(-1)!] : distinct;
  return [...picked, ...(after ? [after] : [])].map(line);
}

// `code: '42P01',` and the like: a field of an error object a driver printed.
const FIELD_LINE = /^[\w$]+: ['"`].*['"`],?$/;

function isMessage(hit: Hit): boolean {
  return hit.rule.role !== "detail" && !FIELD_LINE.test(hit.text);
}

/**
 * The variant the report agrees on (one Prisma warning saying "unique constraint", say), else
 * the stack the failure came from, when the code's fix differs by stack: the stack shown
 * nearest before the report's last line (a tool's invocation, its error class, a frame).
 */
function variantOf(
  report: readonly Hit[],
  code: FailureCode,
  stacks: Observations["stacks"],
): { variant?: string } {
  const variants = new Set(report.flatMap((hit) => hit.rule.variant ?? []));
  const everyCode = report.filter((hit) => evidenceRank(hit.rule) >= EVIDENCE_RANK.code);
  for (const variant of variants) {
    const ofEvery = report.some((hit) => hit.rule.variant === variant && hit.rule.variantOfEvery);
    if (ofEvery && !everyCode.every((hit) => hit.rule.variant === variant))
      variants.delete(variant);
  }
  if (variants.size === 1) return { variant: [...variants][0]! };
  if (variants.size > 1) return {};
  const byStack = failureCodeEntry(code).variants;
  if (!byStack) return {};
  // A driver's frames (node-postgres under knex) say less than the tool that ran: the nearest
  // stack the code has a fix for.
  const end = report.at(-1)!.line;
  const fixed = stacks.filter((s) => byStack[s.stack]);
  const sign = fixed.findLast((s) => s.line <= end) ?? fixed[0];
  return sign ? { variant: sign.stack } : {};
}

/**
 * Another cause near the winner, outside its report: shown as the runner-up. A tie when both
 * lines state an error of the same kind (evidence rank) and neither is a bare error: then the
 * log does not tell which failed the step.
 */
function closeRival(
  hits: readonly Hit[],
  winner: Hit,
  report: readonly Hit[],
  code: FailureCode,
  codeOf: (hit: Hit) => FailureCode,
): { hit: Hit; tie: boolean } | undefined {
  const rival = hits.findLast(
    (hit) =>
      !report.includes(hit) &&
      Math.abs(hit.line - winner.line) <= CLOSE_CALL &&
      hit.rule.code !== STEP_FAILED &&
      codeOf(hit) !== code,
  );
  if (!rival) return undefined;
  const rank = evidenceRank(winner.rule);
  const tie =
    winner.rule.code !== STEP_FAILED &&
    winner.raised &&
    rival.raised &&
    rank > EVIDENCE_RANK.error &&
    evidenceRank(rival.rule) === rank;
  return { hit: rival, tie };
}

function overruled(code: FailureCode, evidence: EvidenceLine[], fromLog?: Verdict): Verdict {
  const rival = fromLog && fromLog.code !== code ? fromLog : undefined;
  return {
    code,
    evidence,
    ...(rival && { runnerUp: { code: rival.code, evidence: rival.evidence } }),
  };
}

/** The signal that ended the process: given, or read from a shell's 128+n exit status. */
function exitSignal(exit: StepExit): string | null {
  if (exit.signal) return exit.signal;
  if (exit.exitCode === null || exit.exitCode <= 128 || exit.exitCode >= 128 + 64) return null;
  const number = exit.exitCode - 128;
  const entry = Object.entries(constants.signals).find(([, n]) => n === number);
  return entry?.[0] ?? null;
}

function line(hit: EvidenceLine): EvidenceLine {
  return { line: hit.line, text: hit.text };
}
