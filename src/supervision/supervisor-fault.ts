// supervisord's fault codes (supervisor/xmlrpc.py, class Faults), by the name its fault strings
// begin with. Only the ones this folder reacts to are named; any other code still arrives intact.
export const FAULT = {
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;

/** A fault answered by supervisord (an XML-RPC `<fault>`): the call reached it and was refused. */
export class SupervisorFault extends Error {
  constructor(
    readonly method: string,
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`supervisord refused ${method}: ${faultString} (fault ${faultCode})`);
    this.name = "SupervisorFault";
  }
}

/** Whether `error` is supervisord's fault `code` (one of FAULT). */
export function isFault(error: unknown, code: number): error is SupervisorFault {
  return error instanceof SupervisorFault && error.faultCode === code;
}
