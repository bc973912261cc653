import { shellQuote } from "./launch-script.js";
import type { ProgramSpec } from "./program-spec.js";

/**
 * The `[program:<name>]` section for a checked spec whose launch script is `script`. Tenant input
 * never reaches this file (it lives in the script); the paths in it are config-safe. The program
 * runs in its own process group, stopped and killed as a group, its stderr in its stdout log.
 */
export function programConf(spec: ProgramSpec, script: string): string {
  return `; Written by the CoDuck worker (src/supervision) for one release.
[program:${spec.name}]
command=/bin/sh ${shellQuote(script)}
directory=${spec.command.cwd}
autostart=true
autorestart=true
startsecs=${spec.startSecs}
startretries=${spec.startRetries}
stopsignal=TERM
stopwaitsecs=${spec.stopWaitSecs}
stopasgroup=true
killasgroup=true
; the supervisord's own umask (077) is for its files; a release gets the usual one
umask=022
redirect_stderr=true
stdout_logfile=${spec.logFile}
stdout_logfile_maxbytes=${spec.logMaxBytes}
stdout_logfile_backups=${spec.logBackups}
`;
}
