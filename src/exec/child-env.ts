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
 * The environment an app's commands run with: the basics a shell and a package manager need,
 * the host's network settings, and the variables given for the app. Nothing of the worker's
 * own environment (its database URL, Redis URL, keys) is passed through.
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
  for (const name of HOST_NETWORK_VARIABLES) {
    const value = process.env[name];
    if (value) base[name] = value;
  }
  return { ...base, ...app };
}
