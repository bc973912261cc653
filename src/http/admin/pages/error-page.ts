import { html } from "../html-template.js";
import { layout } from "./layout.js";

/** A dashboard error (404, 400…): one line saying what is wrong, and the way back. */
export function errorPage(status: number, message: string, csrf?: string): string {
  return layout({
    title: String(status),
    csrf,
    body: html`<h1>${status}</h1><p class="error">${message}</p><p><a href="/admin">All deployments</a></p>`,
  });
}
