import type { SupervisorPaths } from "./supervisor-paths.js";

/**
 * supervisord's own configuration: a socket only root reaches, its log, pidfile and child logs
 * under its directory, and every program from `programs/*.conf` (so definitions outlive it).
 */
export function supervisordConf(paths: SupervisorPaths): string {
  return `; Written by the CoDuck worker (src/supervision); rewritten whenever it starts supervisord.
[unix_http_server]
file=${paths.socket}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://${paths.socket}

[supervisord]
logfile=${paths.log}
pidfile=${paths.pidfile}
childlogdir=${paths.childLogs}
; its own files (logs that may carry secrets, the socket) are private; programs set their own
umask=077

[include]
files=${paths.programs}/*.conf
`;
}
