const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * A notification URL: https, or http to this machine only (a local receiver, a test); no
 * credentials in it (they would be sent to whoever the URL names, and shown by `projects show`).
 * Returns the URL as it will be called, or why it is refused.
 */
export function checkNotifyUrl(
  value: string,
): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      ok: false,
      error: "expected an https URL, for example https://example.com/coduck-hook",
    };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    return { ok: false, error: "expected an https URL (http only to localhost)" };
  if (url.username || url.password)
    return { ok: false, error: "the URL carries credentials: verify the signature instead" };
  if (url.hash) return { ok: false, error: "the URL has a #fragment, which is never sent" };
  return { ok: true, url: url.toString() };
}
