import { cellText } from "../../../inspection/cell-text.js";
import { html, type SafeHtml } from "../html-template.js";
import type { ProjectData } from "../project-data.js";
import { layout } from "./layout.js";

const CELL = 80;

/**
 * A project's Data view: storage and connections against the limits, the backups with a
 * Create button, every table, and one table's columns, indexes and recent rows. Read-only: the
 * only form creates a backup.
 */
export function projectDataPage(options: {
  data: ProjectData;
  table?: string;
  csrf: string;
  notice?: string;
}): string {
  const { data } = options;
  const base = `/admin/projects/${encodeURIComponent(data.slug)}/data`;
  return layout({
    title: `${data.slug} data`,
    csrf: options.csrf,
    body: html`<h1><a href="/admin?project=${data.slug}">${data.slug}</a> · Data</h1>
      ${options.notice ? html`<p class="notice">${options.notice}</p>` : ""}
      ${storage(data)}
      <h2>Backups</h2>
      <form method="post" action="/admin/projects/${data.slug}/backups" class="actions">
        <input type="hidden" name="csrf" value="${options.csrf}">
        <button type="submit" class="primary" id="create-backup">Create backup</button>
        <span class="muted">pg_dump of this project's database (plain SQL, gzip); restore with <code>coduck-worker restore</code></span>
      </form>
      ${backups(data)}
      <h2>Tables</h2>
      ${tables(data, base)}
      ${selected(data, options.table)}`,
  });
}

function storage(data: ProjectData): SafeHtml {
  const { info } = data;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const percent = Math.floor((info.sizeBytes * 100) / info.limitBytes);
  const lookup = Object.values(info.lookup).every(Boolean);
  return html`<dl class="facts">
    <dt>storage</dt><dd id="storage">${mb(info.sizeBytes)} of ${mb(info.limitBytes)} (${percent} % of the soft limit)</dd>
    ${data.storageWarning ? html`<dt>warning</dt><dd class="error">${data.storageWarning}</dd>` : ""}
    <dt>connections</dt><dd>${info.connections} of ${info.connectionLimit} (keep the app's client pool at 10 or less: PgBouncer pools on the server side)</dd>
    <dt>PgBouncer lookup</dt><dd>${lookup ? "intact" : html`<span class="error">broken: run <code>coduck-worker db repair --project ${data.slug}</code></span>`}</dd>
    <dt>database</dt><dd><code>${info.database}</code></dd>
  </dl>`;
}

function backups(data: ProjectData): SafeHtml {
  if (data.backups.length === 0) return html`<p class="muted">No backups yet.</p>`;
  return html`<table class="backups">
    <thead><tr><th>backup</th><th>created</th><th>kind</th><th>status</th><th>size</th><th>sha256</th><th>requested by</th></tr></thead>
    <tbody>${data.backups.map(
      (b) => html`<tr>
        <td><code>${b.id}</code></td>
        <td>${b.createdAt}</td>
        <td>${b.kind}</td>
        <td><span class="status ${b.status}">${b.status}</span>${b.error ? html` <span class="error">${b.error}</span>` : ""}</td>
        <td>${b.sizeBytes === null ? "" : `${(b.sizeBytes / 1024).toFixed(1)} KiB`}</td>
        <td>${b.sha256 ? html`<code title="${b.sha256}">${b.sha256.slice(0, 12)}</code>` : ""}</td>
        <td>${b.requestedBy ?? ""}</td>
      </tr>`,
    )}</tbody></table>`;
}

function tables(data: ProjectData, base: string): SafeHtml {
  if (data.tables.length === 0) return html`<p class="muted">No tables yet.</p>`;
  return html`<table class="tables">
    <thead><tr><th>table</th><th>kind</th><th>rows (estimate)</th><th>size</th></tr></thead>
    <tbody>${data.tables.map((t) => {
      const name = `${t.schema}.${t.name}`;
      return html`<tr>
        <td><a href="${base}?table=${encodeURIComponent(name)}"><code>${name}</code></a></td>
        <td>${t.kind}</td>
        <td>${t.rowEstimate ?? "?"}</td>
        <td>${(t.sizeBytes / 1024).toFixed(0)} kB</td>
      </tr>`;
    })}</tbody></table>`;
}

function selected(data: ProjectData, table: string | undefined): SafeHtml {
  if (!data.selected) return html``;
  if ("error" in data.selected)
    return html`<h2>${table}</h2><p class="error" id="table-error">${data.selected.error}</p>`;
  const { shape, rows } = data.selected;
  return html`<h2 id="table">${rows.schema}.${rows.table}</h2>
    ${
      shape
        ? html`<h3>Columns</h3>
      <table><thead><tr><th>column</th><th>type</th><th>null</th><th>default</th></tr></thead>
      <tbody>${shape.columns.map(
        (c) =>
          html`<tr><td><code>${c.name}</code></td><td><code>${c.type}</code></td><td>${c.nullable ? "yes" : "not null"}</td><td>${c.default ? html`<code>${c.default}</code>` : ""}</td></tr>`,
      )}</tbody></table>
      ${shape.indexes.length ? html`<h3>Indexes</h3><ul>${shape.indexes.map((i) => html`<li><code>${i.definition}</code></li>`)}</ul>` : ""}`
        : ""
    }
    <h3>Recent rows (${rows.order})</h3>
    ${
      rows.rows.length === 0
        ? html`<p class="muted">No rows.</p>`
        : html`<table class="rows"><thead><tr>${rows.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${rows.rows.map((row) => html`<tr>${rows.columns.map((c) => html`<td>${cellText(row[c], CELL)}</td>`)}</tr>`)}</tbody></table>`
    }`;
}
