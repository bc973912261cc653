import { FAILURE_CODES } from "../../../failures/codes.js";
import type { DeploymentRecord } from "../../../store/deployment-record.js";
import { DEPLOYMENT_STATUSES } from "../../../store/deployment-statuses.js";
import { describeHostState, type HostView } from "../../../store/hosts.js";
import type { DeploymentFilter } from "../../deployment-filter.js";
import { html } from "../html-template.js";
import { layout } from "./layout.js";

/** Deployments newest first, filtered by project, status and error code. */
export function deploymentsPage(options: {
  deployments: DeploymentRecord[];
  filter: Partial<DeploymentFilter>;
  csrf: string;
  error?: string;
  /** The installation's hosts, and the host of each deployment shown (by id). */
  hosts?: HostView[];
  hostOf?: Record<string, string | null>;
}): string {
  const hosts = options.hosts ?? [];
  const stateOf = new Map(hosts.map((h) => [h.id, h]));
  const hostCell = (id: string) => {
    const hostId = options.hostOf?.[id];
    if (!hostId) return "";
    const host = stateOf.get(hostId);
    return host && host.state !== "up"
      ? html`${hostId} <span class="status host-${host.state}">${host.state}</span>`
      : hostId;
  };
  const f = options.filter;
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}"${value === selected ? html` selected` : ""}>${value || "any"}</option>`;
  return layout({
    title: "Deployments",
    csrf: options.csrf,
    body: html`<h1>Deployments</h1>
      ${
        hosts.length === 0
          ? ""
          : html`<table class="hosts">
            <thead><tr><th>host</th><th>state</th><th>projects</th><th>last heartbeat</th></tr></thead>
            <tbody>${hosts.map(
              (h) => html`<tr>
                <td>${h.id}</td>
                <td><span class="status host-${h.state}">${describeHostState(h)}</span></td>
                <td>${h.projects}/${h.maxProjects}</td>
                <td>${h.heartbeatAt ? h.heartbeatAt.toISOString() : "never"}</td>
              </tr>`,
            )}</tbody></table>`
      }
      ${f.project ? html`<p><a href="/admin/projects/${f.project}/data" id="project-data">Data and backups of ${f.project}</a></p>` : ""}
      <form method="get" action="/admin" class="filters">
        <label>project <input name="project" value="${f.project ?? ""}" placeholder="any"></label>
        <label>status <select name="status">${["", ...DEPLOYMENT_STATUSES].map((s) => option(s, f.status))}</select></label>
        <label>code <select name="code">${["", ...Object.keys(FAILURE_CODES)].map((c) => option(c, f.code))}</select></label>
        <label>limit <input name="limit" type="number" min="1" max="1000" value="${f.limit ?? 50}"></label>
        <button type="submit">Filter</button>
      </form>
      ${options.error ? html`<p class="error">${options.error}</p>` : ""}
      ${
        options.deployments.length === 0
          ? html`<p class="muted">No deployments${options.error ? "" : " match"}.</p>`
          : html`<table class="deployments">
            <thead><tr><th>deployment</th><th>project</th><th>status</th><th>code</th><th>ref</th><th>commit</th><th>trigger</th><th>host</th><th>queued</th><th>took</th></tr></thead>
            <tbody>${options.deployments.map(
              (d) => html`<tr>
                <td><a href="/admin/deployments/${d.id}"><code>${d.id.slice(0, 8)}</code></a></td>
                <td><a href="/admin?project=${d.project}">${d.project}</a></td>
                <td><span class="status ${d.status}">${d.status}</span></td>
                <td>${d.errorCode ? html`<code>${d.errorCode}</code>` : d.degraded ? html`<code>${d.degraded.code}</code> (degraded)` : ""}</td>
                <td><code>${d.ref}</code></td>
                <td>${d.commitSha ? html`<code>${d.commitSha.slice(0, 12)}</code>` : ""}</td>
                <td>${d.trigger}</td>
                <td>${hostCell(d.id)}</td>
                <td>${d.queuedAt}</td>
                <td>${took(d)}</td>
              </tr>`,
            )}</tbody></table>`
      }`,
  });
}

function took(d: DeploymentRecord): string {
  if (!d.startedAt || !d.finishedAt) return "";
  return `${((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000).toFixed(1)}s`;
}
