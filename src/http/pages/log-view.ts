import type { DeploymentLogLine, LogCursor } from "../../store/read-deployment-logs.js";
import { html, type SafeHtml } from "../html-template.js";

/**
 * The stored log lines, numbered per step as the evidence is (`log line N`), stderr marked.
 * The page's script (assets/live-log.ts) reads on from `cursor` while the deploy runs.
 */
export function logView(options: {
  deploymentId: string;
  status: string;
  attempt: number;
  lines: DeploymentLogLine[];
  cursor: LogCursor;
}): SafeHtml {
  return html`<section class="log">
    <h2>Log <span class="muted" id="log-state"></span></h2>
    <div id="log" class="log-lines"
      data-url="/admin/deployments/${options.deploymentId}/log"
      data-status="${options.status}"
      data-attempt="${options.attempt}"
      data-cursor="${encodeCursor(options.cursor)}">${options.lines.map(logLine)}</div>
  </section>`;
}

function logLine(l: DeploymentLogLine): SafeHtml {
  return html`<div class="line ${l.stream === "stderr" ? "stderr" : l.stream === "system" ? "system" : ""}"><span class="n">${l.step} ${l.seq + 1}</span><span class="t">${l.line}</span></div>`;
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
