import { UnrecoverableError } from "bullmq";

/**
 * A job that failed for good with its failure already recorded (on the deployment, the backup
 * or the restore): BullMQ must not retry it, and the worker must not log it as its own error.
 * Recognised by class, never by its message.
 */
export class RecordedFailure extends UnrecoverableError {
  constructor(record: "deployment" | "backup" | "restore" | "move") {
    super(`the ${record} failed; see its record`);
    this.name = "RecordedFailure";
  }
}
