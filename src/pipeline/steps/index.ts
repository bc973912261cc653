import type { Step } from "../context.js";
import { build } from "./build.js";
import { checkout } from "./checkout.js";
import { install } from "./install.js";
import { provision } from "./provision.js";
import { schema } from "./schema.js";
import { start } from "./start.js";

/** The deploy pipeline, in the order its steps run. */
export const DEPLOY_STEPS: readonly Step[] = [provision, checkout, install, build, schema, start];
