import { classifierAccuracy } from "./classifier-accuracy.js";
import { classifyLogItem } from "./classify-log.js";
import { cliStart } from "./cli.js";
import { deployMany } from "./deploy-many.js";
import { deployOne } from "./deploy-one.js";
import { historySize } from "./history-size.js";
import type { BenchItem } from "./item.js";
import { provision } from "./provision.js";
import { realisticApp } from "./realistic-app.js";
import { router } from "./router.js";
import { stepOutput } from "./step-output.js";
import { stepTransition } from "./step-transition.js";

/** The benchmarks, in the order they run (numbered as in issue 9; 7, the router, from issue 21; 8, diagnosis, from issue 22; 9, history, from issue 25; 10, a realistic app's deploys and redeploys, from issue 23; 11, the CLI, from issue 23). */
export const ITEMS: readonly BenchItem[] = [
  deployOne,
  deployMany,
  provision,
  classifyLogItem,
  stepOutput,
  stepTransition,
  router,
  classifierAccuracy,
  historySize,
  realisticApp,
  cliStart,
];
