/** Changed by the bench for a code-only redeploy. */
export const VERSION = "1";
