/**
 * The environment an app's commands run with: the basics a shell and a package manager need,
 * and the variables given for the app. Nothing of the worker's own environment (its database
 * URL, Redis URL, keys) is passed through.
 */
export function childEnv(app: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: process.env.LANG ?? "C.UTF-8",
    CI: "true",
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    GIT_TERMINAL_PROMPT: "0",
    // No remote helpers such as ext::, which run arbitrary commands.
    GIT_ALLOW_PROTOCOL: "file:git:http:https:ssh",
  };
  return { ...base, ...app };
}
