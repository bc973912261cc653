/**
 * Credentials inside URLs (`https://user:token@host/repo.git`, `https://token@host/…`,
 * `…?access_token=…`): how they are redacted wherever a URL is stored or shown, and which
 * strings must never reach a stored log line. The real URL is kept only where git needs it,
 * sealed (see store/projects.ts).
 */

/** What a redacted credential reads as. */
export const REDACTED = "***";

// Schemes whose user name alone is a credential (a token used as the user, as GitHub allows).
// Over ssh the user (`git@`) only names the account: keys are the credential there.
const USER_IS_SECRET = new Set(["http", "https", "ftp", "ftps"]);

/** `https`, and a transport named after it (`git+https`, as npm spells dependencies). */
function userIsSecret(scheme: string): boolean {
  return USER_IS_SECRET.has(scheme.slice(scheme.lastIndexOf("+") + 1));
}

type Parts = { scheme: string; userinfo: string | null; at: number; rest: string; head: string };

/** `scheme://[userinfo@]rest`, split without normalising anything; null for any other form. */
function split(url: string): Parts | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]{0,30}):\/\//.exec(url);
  if (!match) return null;
  const head = match[0];
  const after = url.slice(head.length);
  const authorityEnd = after.search(/[/?#]/);
  const authority = authorityEnd === -1 ? after : after.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  return {
    scheme: match[1]!.toLowerCase(),
    userinfo: at === -1 ? null : authority.slice(0, at),
    at,
    rest: at === -1 ? after : after.slice(at + 1),
    head,
  };
}

/**
 * The URL with its credentials replaced by `***`: the password of `user:password@` (the user
 * stays, as it names the account), a lone user over http(s) (a token), and the value of every
 * query parameter. Anything that is not a `scheme://` URL (a path, `git@host:path`) is returned
 * as it is, and so is a URL without credentials: `redactUrl(u) === u` means there are none.
 */
export function redactUrl(url: string): string {
  const parts = split(url);
  if (!parts) return url;
  let userinfo = "";
  if (parts.userinfo !== null) {
    const colon = parts.userinfo.indexOf(":");
    if (colon !== -1) userinfo = `${parts.userinfo.slice(0, colon)}:${REDACTED}@`;
    else if (userIsSecret(parts.scheme) && parts.userinfo !== "") userinfo = `${REDACTED}@`;
    else userinfo = `${parts.userinfo}@`;
  }
  return `${parts.head}${userinfo}${redactQuery(parts.rest)}`;
}

function redactQuery(rest: string): string {
  const question = rest.indexOf("?");
  if (question === -1) return rest;
  const hash = rest.indexOf("#", question);
  const query = rest.slice(question + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      return equals === -1 || equals === pair.length - 1
        ? pair
        : `${pair.slice(0, equals + 1)}${REDACTED}`;
    })
    .join("&");
  return `${rest.slice(0, question + 1)}${redacted}${hash === -1 ? "" : rest.slice(hash)}`;
}

/** Whether the URL carries a credential that `redactUrl` hides. */
export function hasUrlCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}

/**
 * The credentials in a URL, as given and percent-decoded, longest first: the strings a step
 * log must never hold (git prints the URL it fetches from in its errors).
 */
export function urlCredentials(url: string): string[] {
  const parts = split(url);
  if (!parts) return [];
  const found: string[] = [];
  if (parts.userinfo) {
    const colon = parts.userinfo.indexOf(":");
    if (colon !== -1) found.push(parts.userinfo.slice(colon + 1), parts.userinfo);
    else if (userIsSecret(parts.scheme)) found.push(parts.userinfo);
  }
  const question = parts.rest.indexOf("?");
  if (question !== -1) {
    const query = parts.rest.slice(question + 1).split("#")[0]!;
    for (const pair of query.split("&")) {
      const equals = pair.indexOf("=");
      if (equals !== -1 && equals < pair.length - 1) found.push(pair.slice(equals + 1));
    }
  }
  const all = new Set<string>();
  for (const value of found) {
    if (value === "") continue;
    all.add(value);
    all.add(decoded(value));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return value;
  }
}

// A URL in running text: a bounded scheme, then everything up to whitespace or a quote. Linear:
// the scheme is at most 31 characters from any start, and the rest never backtracks.
const URL_IN_TEXT = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s'"<>`]*/g;

/** Text with every URL in it redacted by `redactUrl` (a command line, a message). */
export function redactUrlsIn(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_IN_TEXT, redactUrl);
}
