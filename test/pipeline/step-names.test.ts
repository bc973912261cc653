import { DEPLOY_STEP_NAMES, FAILURE_STEPS } from "../../src/pipeline/step-names.js";
import { DEPLOY_STEPS } from "../../src/pipeline/steps/index.js";

describe("the one list of step names", () => {
  it("names the implemented steps, in the order they run", () => {
    expect(DEPLOY_STEPS.map((step) => step.name)).toEqual([...DEPLOY_STEP_NAMES]);
  });

  it("adds only runtime for failures: every step can fail, and so can a live app", () => {
    expect(FAILURE_STEPS).toEqual([...DEPLOY_STEP_NAMES, "runtime"]);
  });
});
