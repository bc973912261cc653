import type { DeploymentLogLine, LogCursor } from "../../../store/read-deployment-logs.js";
import { html, type SafeHtml } from "../html-template.js";

/**
 * The stored log lines. A step's command output is numbered as the classifier numbers it, so
 * the failure box's `log line N` is the line shown as N (and highlighted); the platform's own
 * lines (commands run, outcomes) are marked, not numbered. The page's script
 * (assets/live-log-script.ts) reads on from `cursor` while the deploy runs.
 */
export function logView(options: {
  deploymentId: string;
  status: string;
  attempt: number;
  lines: DeploymentLogLine[];
  cursor: LogCursor;
  evidence?: { step: string; line: number } | null;
}): SafeHtml {
  const counted: Record<string, number> = {};
  const rows = options.lines.map((l) => {
    let n: number | null = null;
    if (l.stream !== "system") {
      n = (counted[l.step] ?? 0) + 1;
      counted[l.step] = n;
    }
    const decisive = n !== null && options.evidence?.step === l.step && options.evidence.line === n;
    return logLine(l, n, decisive);
  });
  return html`<section class="log">
    <h2>Log <span class="muted" id="log-state"></span></h2>
    <div id="log" class="log-lines"
      data-url="/admin/deployments/${options.deploymentId}/log"
      data-status="${options.status}"
      data-attempt="${options.attempt}"
      data-cursor="${encodeCursor(options.cursor)}">${rows}</div>
  </section>`;
}

/** Where the failure box links `log line N` of a step to. */
export function logLineAnchor(step: string, n: number): string {
  return `L-${step}-${n}`;
}

function logLine(l: DeploymentLogLine, n: number | null, decisive: boolean): SafeHtml {
  const kind = l.stream === "stderr" ? "stderr" : l.stream === "system" ? "system" : "";
  return html`<div class="line ${kind}${decisive ? " decisive" : ""}" data-step="${l.step}"${n !== null ? html` data-n="${n}" id="${logLineAnchor(l.step, n)}"` : ""}><span class="n">${l.step} ${n ?? "›"}</span><span class="t">${l.line}</span></div>`;
}

const CURSOR_PART = /^([a-z][a-z0-9-]{0,31}):(\d{1,9})$/;

/** `step:seq,step:seq`: how a page tells the log route where it is. */
export function encodeCursor(cursor: LogCursor): string {
  return Object.entries(cursor)
    .map(([step, seq]) => `${step}:${seq}`)
    .join(",");
}

/** The cursor a page sent, or null when it is not one. */
export function decodeCursor(raw: string): LogCursor | null {
  const cursor: LogCursor = {};
  for (const part of raw === "" ? [] : raw.split(",")) {
    const match = CURSOR_PART.exec(part);
    if (!match) return null;
    cursor[match[1]!] = Number(match[2]);
  }
  return cursor;
}
