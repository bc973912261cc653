// The supervision module's face: everything the pipeline and the worker's start need to keep
// releases running under supervisord. The rest of the folder is how.
export { defineProgram } from "./define-program.js";
export { ensureSupervisord } from "./ensure-supervisord.js";
export { MAX_STOP_WAIT_SECS, type ProgramCommand, type ProgramSpec } from "./program-spec.js";
export {
  listPrograms,
  PROGRAM_STATES,
  type ProgramState,
  type ProgramStateName,
  programState,
} from "./program-state.js";
export { removeProgram } from "./remove-program.js";
export { restartProgram } from "./restart-program.js";
export { SupervisorClient } from "./supervisor-client.js";
export { SupervisorFault } from "./supervisor-fault.js";
