import { degradedRelease, deploymentFailure } from "../../../deploys/deployment-failure.js";
import type { DeploymentRecord } from "../../../store/deployment-record.js";
import { html, type SafeHtml } from "../html-template.js";
import { logLineAnchor } from "./log-view.js";

/** The CLI's failure box as HTML: where and why it failed, the evidence, the fix, the docs. */
export function failurePanel(d: DeploymentRecord): SafeHtml {
  const failure = deploymentFailure(d);
  if (!failure) return html``;
  return html`<section class="failure" id="failure">
    <h2>Failed${failure.step ? html` at <span class="step">${failure.step}</span>` : ""}:
      <code class="code">${failure.code ?? "no error code"}</code></h2>
    ${failure.title ? html`<p class="title">${failure.title}</p>` : ""}
    ${
      failure.evidence
        ? html`<h3>Evidence${failure.evidenceLine !== null && failure.step ? html` <a class="muted" href="#${logLineAnchor(failure.step, failure.evidenceLine)}">(log line ${failure.evidenceLine})</a>` : ""}</h3>
          <pre class="evidence">${failure.evidence}</pre>`
        : ""
    }
    ${failure.hint ? html`<h3>Fix</h3><p class="fix">${failure.hint}</p>` : ""}
    ${docsLink(failure.docs)}
    ${failure.warnings.map((w) => html`<p class="warning">warning: ${w}</p>`)}
    <p class="retryable">Retry helps: ${
      failure.retryable
        ? `yes (a passing failure, still there after ${failure.attempt} attempt(s))`
        : "no (a retry alone cannot help: fix the cause first)"
    }</p>
  </section>`;
}

/** A live release the runtime watch saw fail: it keeps serving, but needs a fix. */
export function degradedPanel(d: DeploymentRecord): SafeHtml {
  const degraded = degradedRelease(d);
  if (!degraded) return html``;
  return html`<section class="degraded">
    <h2>Degraded: <code class="code">${degraded.code}</code></h2>
    ${degraded.title ? html`<p class="title">${degraded.title}</p>` : ""}
    ${
      degraded.evidence
        ? html`<h3>The live release logged, at ${degraded.at}</h3><pre class="evidence">${degraded.evidence}</pre>`
        : ""
    }
    ${degraded.hint ? html`<h3>Fix</h3><p class="fix">${degraded.hint}</p>` : ""}
    ${docsLink(degraded.docs)}
    <p>The release stays live: deploy the fix.</p>
  </section>`;
}

// The catalogue's own links, never a user's: still, only https ones become links.
function docsLink(docs: string | null): SafeHtml {
  if (!docs) return html``;
  return docs.startsWith("https://")
    ? html`<p class="docs">Docs: <a href="${docs}" rel="noreferrer">${docs}</a></p>`
    : html`<p class="docs">Docs: ${docs}</p>`;
}
