import type { CaddyClient } from "./caddy-client.js";

/** Asks the Caddy behind `client` to stop (POST /stop): it finishes in-flight requests and exits. */
export async function stopCaddy(client: CaddyClient): Promise<void> {
  try {
    await client.post("/stop", undefined);
  } catch (error) {
    // Caddy may close the admin connection as it exits, before or mid-answer.
    if (
      !(
        error instanceof Error &&
        /ECONNRESET|socket hang up|ENOENT|ECONNREFUSED/.test(error.message)
      )
    )
      throw error;
  }
}
