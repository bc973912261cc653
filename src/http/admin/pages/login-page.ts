import { html } from "../html-template.js";
import { layout } from "./layout.js";

/** The login form: the ADMIN_TOKEN, posted to /admin/login, back to `next` once accepted. */
export function loginPage(options: { next: string; error?: string }): string {
  return layout({
    title: "Log in",
    body: html`<h1>Log in</h1>
      ${options.error ? html`<p class="error">${options.error}</p>` : ""}
      <form method="post" action="/admin/login" class="login">
        <input type="hidden" name="next" value="${options.next}">
        <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
        <button type="submit">Log in</button>
      </form>
      <p class="muted">The token is the worker's ADMIN_TOKEN. Scripts can send it as
        <code>Authorization: Bearer …</code> or as the password of HTTP basic auth instead.</p>`,
  });
}
