/**
 * The host's network settings an app's package manager needs to reach a registry: which
 * certificate authorities to trust (a TLS-inspecting proxy's CA, say) and which proxy to use.
 * They describe the machine, not the worker, so they are passed through; nothing else is.
 */
const HOST_NETWORK_VARIABLES = [
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
] as const;

/**
 * The fixed environment of every process the worker starts on the host: git at checkout, the
 * sandbox's launcher (bwrap), and an app command's basics. It is built from the worker's own
 * PATH, HOME and LANG and the host's network settings only: nothing of an app's variables
 * (coduck.json `env`, project variables), nothing of the worker's own secrets.
 */
export function hostEnv(): Record<string, string> {
  const base: Record<string, string> = {
    PATH: fixedPath(),
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
  for (const name of HOST_NETWORK_VARIABLES) {
    const value = process.env[name];
    if (value) base[name] = value;
  }
  return base;
}

/**
 * The environment of a box's launcher and what it starts on the host (bwrap, setpriv,
 * slirp4netns): hostEnv without the network settings, which none of them uses — the app gets
 * them inside the box (appEnvArgs). NODE_EXTRA_CA_CERTS would make the launcher's Node read
 * and parse the whole bundle before running a line (about 70 ms per box with Debian's).
 */
export function launcherEnv(): Record<string, string> {
  const env = hostEnv();
  for (const name of HOST_NETWORK_VARIABLES) delete env[name];
  return env;
}

/**
 * The environment an app's commands run with: the host's fixed basics (hostEnv), then the
 * variables given for the app. Only ever the environment of a command that runs as the app:
 * inside the box (exec/sandbox.ts sets it there, past the launcher), or unsandboxed with
 * SANDBOX=off. The box's own HOME and PATH win over the app's, which may not set them
 * (apps/coduck-json.ts forbiddenVariable).
 */
export function childEnv(
  app: Record<string, string> = {},
  appDir?: string,
): Record<string, string> {
  return { ...hostEnv(), ...app, ...(appDir ? { PATH: appPath(appDir) } : {}) };
}

/**
 * The PATH of an app's own commands (install, build, preStart, start): the app's
 * `node_modules/.bin` first, as `npm run` has it, then the fixed PATH. So `prisma migrate
 * deploy` or `drizzle-kit push`, as the docs write them, find the app's own tools. `base` is
 * the PATH after it: the worker's (fixed) on the host, the box's own inside a box.
 */
export function appPath(appDir: string, base: string = fixedPath()): string {
  return `${appDir}/node_modules/.bin:${base}`;
}

/**
 * The worker's PATH, less any entry that is not absolute: "" or "." would look a command up in
 * the directory it runs in, which for app commands and git is the app's release.
 */
function fixedPath(): string {
  const dirs = (process.env.PATH ?? "").split(":").filter((dir) => dir.startsWith("/"));
  return dirs.length > 0 ? dirs.join(":") : "/usr/local/bin:/usr/bin:/bin";
}
