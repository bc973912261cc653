import type { EvidenceRule } from "./rule.js";

// tsc (and vue-tsc, ts-node) print `error TS<code>`; Next.js prints its own type-check lines.
// A TS2307 "Cannot find module" is a type error: this family is matched before node-runtime.
export const TYPESCRIPT_RULES: readonly EvidenceRule[] = [
  { code: "TYPESCRIPT_ERROR", pattern: /\berror TS\d{3,5}\b/ },
  {
    code: "TYPESCRIPT_ERROR",
    pattern: /^Type error: |Failed to type check|TSError: . Unable to compile TypeScript/,
  },
  { code: "TYPESCRIPT_ERROR", role: "detail", pattern: /^Found [1-9]\d* errors?\b/ },
];
