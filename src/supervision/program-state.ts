import type { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";
import type { XmlRpcValue } from "./xml-rpc-codec.js";

/** supervisord's process states (supervisor/states.py, ProcessStates), by name. */
export const PROGRAM_STATES = [
  "STOPPED",
  "STARTING",
  "RUNNING",
  "BACKOFF",
  "STOPPING",
  "EXITED",
  "FATAL",
  "UNKNOWN",
] as const;

/** One of supervisord's process states. */
export type ProgramStateName = (typeof PROGRAM_STATES)[number];

/** What supervisord knows of one program's process right now. */
export type ProgramState = {
  name: string;
  state: ProgramStateName;
  /** The running process's pid; null when none runs. */
  pid: number | null;
  /**
   * The last exit's status while it is down (EXITED, BACKOFF, FATAL); -1 when a signal ended it
   * (the signal is only in supervisord's own log). Cleared to 0 when it starts again.
   */
  exitStatus: number;
  /** When it last started / stopped; null when it never did. */
  startedAt: Date | null;
  stoppedAt: Date | null;
  /** Why supervisord could not start it (e.g. "Exited too quickly ..."); null when none. */
  spawnErr: string | null;
};

/** The state of the program `name`, or null when supervisord has no such program. */
export async function programState(
  client: SupervisorClient,
  name: string,
): Promise<ProgramState | null> {
  try {
    return toProgramState(await client.call("supervisor.getProcessInfo", [name]));
  } catch (error) {
    if (isFault(error, FAULT.BAD_NAME)) return null;
    throw error;
  }
}

/** Every program supervisord has (the worker's releases and any other), with its state. */
export async function listPrograms(client: SupervisorClient): Promise<ProgramState[]> {
  const all = await client.call("supervisor.getAllProcessInfo");
  if (!Array.isArray(all)) throw unexpected(all);
  return all.map(toProgramState);
}

function toProgramState(info: XmlRpcValue): ProgramState {
  if (typeof info !== "object" || Array.isArray(info)) throw unexpected(info);
  const { name, statename, pid, exitstatus, start, stop, spawnerr } = info;
  if (
    typeof name !== "string" ||
    typeof statename !== "string" ||
    typeof pid !== "number" ||
    typeof exitstatus !== "number" ||
    typeof start !== "number" ||
    typeof stop !== "number" ||
    typeof spawnerr !== "string"
  ) {
    throw unexpected(info);
  }
  return {
    name,
    state: (PROGRAM_STATES as readonly string[]).includes(statename)
      ? (statename as ProgramStateName)
      : "UNKNOWN",
    pid: pid === 0 ? null : pid,
    exitStatus: exitstatus,
    startedAt: start === 0 ? null : new Date(start * 1000),
    stoppedAt: stop === 0 ? null : new Date(stop * 1000),
    spawnErr: spawnerr === "" ? null : spawnerr,
  };
}

function unexpected(value: XmlRpcValue): Error {
  return new Error(`unexpected process info from supervisord: ${JSON.stringify(value)}`);
}
