import { html, type SafeHtml } from "../html-template.js";

/** A dashboard page: the navigation, the page's content, the stylesheet; scripts by URL only. */
export function layout(page: {
  title: string;
  body: SafeHtml;
  csrf?: string;
  scripts?: string[];
}): string {
  const nav = page.csrf
    ? html`<nav>
        <a href="/admin">Deployments</a>
        <a href="/admin/queues">Queues</a>
        <form method="post" action="/admin/logout" class="inline">
          <input type="hidden" name="csrf" value="${page.csrf}">
          <button type="submit" class="link">Log out</button>
        </form>
      </nav>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · coduck-worker</title>
<link rel="stylesheet" href="/admin/assets/dashboard.css">
${(page.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<header><strong>coduck-worker</strong> ${nav}</header>
<main>
${page.body}
</main>
</body>
</html>
`.value;
}
