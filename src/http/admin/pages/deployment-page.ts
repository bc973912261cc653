import { deploymentFailure } from "../../../deploys/deployment-failure.js";
import { sandboxText } from "../../../deploys/public-deployment.js";
import { groupRssBytes } from "../../../exec/group-rss.js";
import type { DeploymentLineage } from "../../../store/deployment-lineage.js";
import type { DeploymentRecord } from "../../../store/deployment-record.js";
import type { DeploymentLogLine, LogCursor } from "../../../store/read-deployment-logs.js";
import { html, type SafeHtml } from "../html-template.js";
import { degradedPanel, failurePanel } from "./failure-panel.js";
import { layout } from "./layout.js";
import { logView } from "./log-view.js";
import { stepTimeline } from "./step-timeline.js";

export const LIVE_LOG_SCRIPT_URL = "/admin/assets/live-log.js";

/** One deployment: its facts, the Retry and Cancel buttons, the failure, the steps, the log. */
export function deploymentPage(options: {
  deployment: DeploymentRecord;
  lines: DeploymentLogLine[];
  cursor: LogCursor;
  csrf: string;
  actions: { retry: boolean; cancel: boolean };
  lineage: DeploymentLineage | null;
  notice?: string;
}): string {
  const d = options.deployment;
  return layout({
    title: `${d.project} ${d.id.slice(0, 8)}`,
    csrf: options.csrf,
    scripts: [LIVE_LOG_SCRIPT_URL],
    body: html`<h1><a href="/admin?project=${d.project}">${d.project}</a> · deployment <code>${d.id}</code>
        <span class="status ${d.status}" id="deployment-status">${d.status}</span></h1>
      ${options.notice ? html`<p class="notice">${options.notice}</p>` : ""}
      ${facts(d, options.lineage)}
      ${actions(d, options.csrf, options.actions)}
      ${failurePanel(d)}
      ${degradedPanel(d)}
      <h2>Steps</h2>
      ${stepTimeline(d)}
      ${logView({
        deploymentId: d.id,
        status: d.status,
        attempt: d.attempt,
        lines: options.lines,
        cursor: options.cursor,
        evidence: evidenceOf(d),
      })}`,
  });
}

function evidenceOf(d: DeploymentRecord): { step: string; line: number } | null {
  const failure = deploymentFailure(d);
  return failure?.step && failure.evidenceLine !== null
    ? { step: failure.step, line: failure.evidenceLine }
    : null;
}

function facts(d: DeploymentRecord, lineage: DeploymentLineage | null): SafeHtml {
  return html`<dl class="facts">
    <dt>status</dt><dd>${d.status}${d.errorCode ? html` (<code>${d.errorCode}</code>)` : ""}</dd>
    <dt>ref</dt><dd><code>${d.ref}</code>${d.commitSha ? html` @ <code>${d.commitSha.slice(0, 12)}</code>` : ""}</dd>
    <dt>repository</dt><dd><code>${d.repoUrl}</code></dd>
    <dt>trigger</dt><dd>${d.trigger}${lineage?.requestedBy ? ` (by ${lineage.requestedBy})` : ""}</dd>
    ${
      lineage?.retryOf
        ? html`<dt>retry</dt><dd>#${lineage.retryOf.number} of <a href="/admin/deployments/${lineage.retryOf.id}" id="retry-of"><code>${lineage.retryOf.id.slice(0, 8)}</code></a>${lineage.retryOf.fromStep ? `, from ${lineage.retryOf.fromStep}` : ""}</dd>`
        : ""
    }
    ${lineage?.rollbackTo ? html`<dt>rollback to</dt><dd><a href="/admin/deployments/${lineage.rollbackTo}"><code>${lineage.rollbackTo.slice(0, 8)}</code></a></dd>` : ""}
    ${
      lineage && lineage.retries.length > 0
        ? html`<dt>retried as</dt><dd>${lineage.retries.map(
            (r, i) =>
              html`${i > 0 ? ", " : ""}<a href="/admin/deployments/${r.id}" class="retried-as"><code>${r.id.slice(0, 8)}</code></a> (${r.status})`,
          )}</dd>`
        : ""
    }
    <dt>attempt</dt><dd>${d.attempt}</dd>
    ${d.sandbox ? html`<dt>sandbox</dt><dd id="sandbox">${sandboxText(d.sandbox)}</dd>` : ""}
    <dt>queued</dt><dd>${d.queuedAt}</dd>
    <dt>started</dt><dd>${d.startedAt ?? "—"}</dd>
    <dt>finished</dt><dd>${d.finishedAt ?? "—"}</dd>
    ${d.release ? liveRelease(d.release) : ""}
    ${d.status !== "failed" ? d.warnings.map((w) => html`<dt>warning</dt><dd>${w}</dd>`) : ""}
  </dl>`;
}

/** The live release: its address and upstream, how long it runs, what supervisord did to it. */
function liveRelease(release: NonNullable<DeploymentRecord["release"]>): SafeHtml {
  const restarts =
    release.restarts === 0
      ? "no restarts"
      : `${release.restarts} restart${release.restarts === 1 ? "" : "s"}, the last at ${release.lastRestartAt} (${release.lastExit ?? "how it ended is unknown"})`;
  // Read from /proc: shown when the release runs on the machine serving the dashboard.
  const rss = release.crashedAt ? null : groupRssBytes(release.pid);
  const memory = rss === null ? "" : `, ${Math.round(rss / 2 ** 20)} MiB resident`;
  return html`<dt>live release</dt>
    <dd id="release"><a href="${release.url}">${release.url}</a> → <code>${release.upstream}</code>
      (pid ${release.pid}${release.startedAt ? `, up since ${release.startedAt}` : ""}${memory}); ${restarts}
      ${release.crashedAt ? html`<strong class="failed"> — crashed at ${release.crashedAt}: supervisord gave up restarting it</strong>` : ""}</dd>`;
}

function actions(
  d: DeploymentRecord,
  csrf: string,
  allowed: { retry: boolean; cancel: boolean },
): SafeHtml {
  if (!allowed.retry && !allowed.cancel) return html``;
  return html`<div class="actions">
    ${
      allowed.retry
        ? html`<form method="post" action="/admin/deployments/${d.id}/retry" class="inline">
            <input type="hidden" name="csrf" value="${csrf}">
            <button type="submit" class="primary" id="retry">Retry</button>
            <label class="muted">from <select name="from">
              <option value="">the failed step, when what came before still holds</option>
              ${d.steps.filter((s) => s.name !== "provision").map((s) => html`<option value="${s.name}">${s.name}</option>`)}
            </select></label>
          </form>`
        : ""
    }
    ${
      allowed.cancel
        ? html`<form method="post" action="/admin/deployments/${d.id}/cancel" class="inline">
            <input type="hidden" name="csrf" value="${csrf}">
            <button type="submit" class="danger" id="cancel">Cancel</button>
          </form>`
        : ""
    }
  </div>`;
}
