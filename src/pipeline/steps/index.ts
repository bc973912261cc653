import type { Step } from "../context.js";
import { build } from "./build.js";
import { checkout } from "./checkout.js";
import { install } from "./install.js";

/** The deploy pipeline, in the order its steps run. */
export const DEPLOY_STEPS: readonly Step[] = [checkout, install, build];

export const DEPLOY_STEP_NAMES = DEPLOY_STEPS.map((step) => step.name);
