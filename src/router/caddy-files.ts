import path from "node:path";

/** Where our own Caddy keeps its files under the router's directory. */
export type CaddyFiles = {
  dir: string;
  /** The admin API's unix socket. */
  socket: string;
  /** The bootstrap config, used when there is no autosave yet. */
  config: string;
  /** Caddy's own copy of its last config, written after every change through the API. */
  autosave: string;
  pid: string;
  /** Held while a Caddy is being started, so two callers never start two. */
  startLock: string;
  log: string;
};

/** The file layout of our own Caddy under `dir`. */
export function caddyFiles(dir: string): CaddyFiles {
  return {
    dir,
    socket: path.join(dir, "caddy-admin.sock"),
    config: path.join(dir, "caddy.json"),
    // Caddy autosaves to $XDG_CONFIG_HOME/caddy/autosave.json; we point XDG_CONFIG_HOME at dir.
    autosave: path.join(dir, "caddy", "autosave.json"),
    pid: path.join(dir, "caddy.pid"),
    startLock: path.join(dir, "caddy-start.lock"),
    log: path.join(dir, "caddy.log"),
  };
}
