/**
 * Lines that report something handled: warnings, notices and info from tools and apps
 * (`npm warn ERESOLVE overriding…`, `NOTICE: relation … already exists, skipping`, a pino
 * line at level warn). No rule reads them: an error mentioned in a warning did not fail the step.
 */
export const HANDLED_LINE =
  /^\s*(?:\d{4}-\d\d-\d\d[T ][\d:.]+Z?\s+)?\[?(?:npm |pnpm |yarn )?(?:warn(?:ing)?|notice|info)\b|^\(node:\d+\) (?:\[\w+\] )?(?:Deprecation|Experimental|MaxListenersExceeded)?Warning:|"level":\s*(?:"(?:warn(?:ing)?|info|notice|debug)"|[1-4]0\b)/i;
