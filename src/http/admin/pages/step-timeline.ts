import type { DeploymentRecord } from "../../../store/deployment-record.js";
import { html, type SafeHtml } from "../html-template.js";

type Step = DeploymentRecord["steps"][number];

/**
 * The steps in order, each with when it started (after the deployment did), how long it took
 * (so far, while running) and a bar on a shared time scale.
 */
export function stepTimeline(d: DeploymentRecord, now = Date.now()): SafeHtml {
  const origin = d.startedAt ? Date.parse(d.startedAt) : null;
  const spans = d.steps.map((s) => span(s, now));
  const end = Math.max(1, ...spans.map((sp) => (sp && origin !== null ? sp.end - origin : 0)));
  return html`<table class="timeline">
    <thead><tr><th>step</th><th>status</th><th>started</th><th>duration</th><th class="bar-cell"></th><th>exit</th><th>code</th><th>note</th></tr></thead>
    <tbody>
    ${d.steps.map((s, i) => {
      const sp = spans[i];
      const offset = sp && origin !== null ? sp.start - origin : null;
      const bar =
        sp && offset !== null
          ? // SVG attributes, not a style attribute: the page's CSP allows no inline styles.
            html`<svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true"><rect class="${s.status}" x="${scale(offset, end)}" width="${Math.max(2, Number(scale(sp.end - sp.start, end)))}" height="10"></rect></svg>`
          : "";
      return html`<tr class="${s.status}">
        <td>${s.name}</td>
        <td><span class="status ${s.status}" data-step-status="${s.name}">${s.status}</span></td>
        <td>${offset !== null ? `+${seconds(offset)}` : ""}</td>
        <td>${s.durationMs !== null ? seconds(s.durationMs) : sp && s.status === "running" ? `${seconds(sp.end - sp.start)} so far` : ""}</td>
        <td class="bar-cell">${bar}</td>
        <td>${s.exitCode ?? s.signal ?? ""}</td>
        <td>${s.errorCode ? html`<code>${s.errorCode}</code>` : ""}</td>
        <td class="muted">${s.skipReason ?? (s.command ? html`<code>${s.command}</code>` : "")}</td>
      </tr>`;
    })}
    </tbody>
  </table>`;
}

function span(s: Step, now: number): { start: number; end: number } | null {
  if (!s.startedAt) return null;
  const start = Date.parse(s.startedAt);
  const end = s.finishedAt
    ? Date.parse(s.finishedAt)
    : s.durationMs !== null
      ? start + s.durationMs
      : now;
  return { start, end: Math.max(start, end) };
}

function scale(ms: number, total: number): string {
  return Math.min(1000, Math.max(0, (ms / total) * 1000)).toFixed(1);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
