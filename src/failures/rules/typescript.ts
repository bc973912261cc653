import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// tsc (and vue-tsc, ts-node) print `error TS<code>`; Next.js prints its own type-check lines.
// A TS2307 "Cannot find module" is a type error: this family is matched before node-runtime.
export const TYPESCRIPT_RULES: readonly EvidenceRule[] = [
  // An error inside a dependency's declaration files: the fix is not in the app's code, when
  // every error is there (`skipLibCheck`, or aligned versions).
  //   node_modules/@types/react/index.d.ts(3210,14): error TS2300: Duplicate identifier 'x'.
  //   node_modules/pkg/dist/index.d.ts:12:3 - error TS2304: Cannot find name 'x'.
  {
    code: "TYPESCRIPT_ERROR",
    evidence: "code",
    variant: "dependency-types",
    variantOfEvery: true,
    pattern:
      /node_modules\/[^\s(:]{1,300}\.d\.[cm]?ts(?:\(\d{1,9},\d{1,9}\)|:\d{1,9}:\d{1,9})(?::| -) error TS\d{3,5}\b/,
  },
  // TS5057 / TS5058 / TS18003: tsc found no project to check (no tsconfig.json where the
  // build points it, no inputs): the build's setup, not errors TypeScript reports in the code.
  {
    code: "TYPESCRIPT_ERROR",
    evidence: "code",
    pattern: /\berror TS(?!505[78]\b|18003\b)\d{3,5}\b/,
  },
  { code: STEP_FAILED, evidence: "code", pattern: /\berror TS(?:505[78]|18003)\b/ },
  {
    code: "TYPESCRIPT_ERROR",
    pattern: /^Type error: |Failed to type check|TSError: . Unable to compile TypeScript/,
  },
  { code: "TYPESCRIPT_ERROR", role: "detail", pattern: /^Found [1-9]\d* errors?\b/ },
];
