/** The dashboard's stylesheet, served as /admin/assets/dashboard.css. */
export const DASHBOARD_CSS = `
:root { --fg:#1d2330; --muted:#667085; --line:#e4e7ec; --bad:#b42318; --bad-bg:#fef3f2; --ok:#067647; --run:#175cd3; --warn:#b54708; --warn-bg:#fffaeb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fcfcfd; }
header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; border-bottom: 1px solid var(--line); background: #fff; }
nav { display: flex; gap: 16px; align-items: center; }
main { padding: 16px 24px 48px; max-width: 1280px; }
a { color: var(--run); }
h1 { font-size: 20px; margin: 8px 0 16px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
h3 { font-size: 13px; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
code, pre, .log-lines { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.muted { color: var(--muted); }
.error { color: var(--bad); }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #f2f4f7; }
.status.failed { background: var(--bad-bg); color: var(--bad); }
.status.succeeded { background: #ecfdf3; color: var(--ok); }
.status.running, .status.queued { background: #eff8ff; color: var(--run); }
.status.cancelled, .status.superseded, .status.skipped, .status.interrupted { color: var(--muted); }
.filters { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin-bottom: 16px; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; }
button { cursor: pointer; border: 1px solid #d0d5dd; background: #fff; border-radius: 6px; }
button.primary { background: var(--run); color: #fff; border-color: var(--run); }
button.danger { color: var(--bad); border-color: var(--bad); }
button.link { border: 0; background: none; color: var(--run); padding: 0; }
form.inline { display: inline; }
.actions { display: flex; gap: 12px; margin: 16px 0; align-items: center; }
.failure { border: 1px solid var(--bad); background: var(--bad-bg); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
.failure h2 { color: var(--bad); }
.degraded { border: 1px solid var(--warn); background: var(--warn-bg); border-radius: 8px; padding: 4px 16px 12px; margin: 16px 0; }
.evidence { background: #fff; border: 1px solid var(--line); padding: 8px; border-radius: 4px; }
.timeline .bar-cell { width: 30%; }
svg.bar { width: 100%; height: 10px; display: block; }
svg.bar rect { fill: #98a2b3; }
svg.bar rect.succeeded { fill: var(--ok); }
svg.bar rect.failed { fill: var(--bad); }
svg.bar rect.running { fill: var(--run); }
.log-lines { background: #0c111d; color: #e4e7ec; padding: 8px 0; border-radius: 6px; overflow-x: auto; }
.line { display: flex; white-space: pre-wrap; word-break: break-word; padding: 0 12px; }
.line .n { flex: 0 0 110px; color: #667085; user-select: none; }
.line.stderr .t { color: #fda29b; }
.line.system .t { color: #84caff; }
.line.decisive, .line:target { background: #55160c; }
form.login { display: flex; gap: 12px; align-items: end; }
form.login label { display: flex; flex-direction: column; }
`;
