import { redactUrlsIn } from "../secrets/url-credentials.js";

/**
 * A command as a person would type it, for logs and step records (never run through a shell),
 * with the credentials of any URL in it redacted (git fetching from `https://user:token@…`).
 */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((word) => quote(redactUrlsIn(word))).join(" ");
}

function quote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
