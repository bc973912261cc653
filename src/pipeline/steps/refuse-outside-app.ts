import { OutsideAppError } from "../../apps/open-inside-app.js";
import { StepFailure } from "../../failures/step-failure.js";

/** Runs `work`; a file of the app's that leads out of the release fails the step, CONFIG_INVALID. */
export async function refuseOutsideApp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof OutsideAppError)) throw error;
    throw new StepFailure("CONFIG_INVALID", error.message, { evidence: error.message });
  }
}
