import { escapeHtml, html } from "../../src/http/admin/html-template.js";

describe("html", () => {
  it("escapes every interpolated string, for content and quoted attributes alike", () => {
    const evil = `<script>alert("x")</script> & 'y' \`z\``;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      `<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`,
    );
    expect(escapeHtml(evil)).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &#96;z&#96;",
    );
  });

  it("keeps nested html as markup, escapes arrays item by item, renders null and false as nothing", () => {
    const items = ["<a>", "b"].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe(
      "<ul><li>&lt;a&gt;</li><li>b</li></ul>0",
    );
    // A plain string that looks like markup is still text.
    expect(html`${["<b>", html`<i>`]}`.value).toBe("&lt;b&gt;<i>");
  });
});
