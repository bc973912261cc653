import { OUT_OF_MEMORY_LINE } from "../../exec/resource-limits.js";
import type { EvidenceRule } from "./rule.js";

// V8 giving up on its heap, and the kernel's OOM killer (the shell prints `Killed`; package
// managers report the SIGKILL).
export const MEMORY_RULES: readonly EvidenceRule[] = [
  // The box's launcher, when the kernel killed in the box's cgroup at its memory limit: the
  // line names the limit, so it is the evidence shown.
  { code: "OUT_OF_MEMORY", pattern: OUT_OF_MEMORY_LINE },
  {
    code: "OUT_OF_MEMORY",
    pattern:
      /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit|Allocation failed - process out of memory|\bENOMEM\b|Cannot allocate memory|fatal error: (?:runtime: )?out of memory|Out of memory: Killed process|\bOOMKilled\b/i,
  },
  { code: "OUT_OF_MEMORY", pattern: /^\s*Killed\s*$/ },
  {
    code: "OUT_OF_MEMORY",
    role: "detail",
    pattern: /\bsignal:? \\?["']?SIGKILL\b|\b(?:exit code|code:?) 137\b/,
  },
];
