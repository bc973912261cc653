import path from "node:path";

// A unix socket's path must fit sockaddr_un's sun_path (108 bytes with its terminating NUL).
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Characters a path written into supervisord's configuration may hold. Its files are INI (where
 * " ;" starts a comment), most values go through Python %-expansion, `command` is shlex-split and
 * `[include] files` is a glob: outside this set a path could be read as something else.
 */
const CONFIG_SAFE_PATH = /^\/[A-Za-z0-9._/@+,=:~-]*$/;

/** Where everything of the supervisord under `dir` lives: one place for every file name. */
export function supervisorPaths(dir: string) {
  const root = configSafePath("supervisor directory", dir);
  const paths = {
    dir: root,
    socket: path.join(root, "supervisor.sock"),
    conf: path.join(root, "supervisord.conf"),
    log: path.join(root, "supervisord.log"),
    pidfile: path.join(root, "supervisord.pid"),
    // Held by the running supervisord itself (inherited through flock), so it can never be stale.
    lock: path.join(root, "supervisord.lock"),
    // supervisord's stderr before it daemonizes: why it refused to start, if it did.
    startLog: path.join(root, "supervisord.start.log"),
    childLogs: path.join(root, "childlogs"),
    programs: path.join(root, "programs"),
    programScript: (name: string) => path.join(root, "programs", `${name}.sh`),
    programConf: (name: string) => path.join(root, "programs", `${name}.conf`),
  };
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `supervisor directory ${root} is too long: its socket path must fit ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }
  return paths;
}

/** The files of one supervisord's directory (see supervisorPaths). */
export type SupervisorPaths = ReturnType<typeof supervisorPaths>;

/** `value` normalised, when it is an absolute path supervisord's configuration reads as written. */
export function configSafePath(what: string, value: string): string {
  if (!CONFIG_SAFE_PATH.test(value)) {
    throw new Error(
      `${what} must be an absolute path of letters, digits and . _ / @ + , = : ~ - (got ${JSON.stringify(value)})`,
    );
  }
  return path.normalize(value);
}
