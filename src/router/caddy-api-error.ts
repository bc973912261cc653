/** Caddy's admin API refused a request: its HTTP status and its own message (`{"error": …}`). */
export class CaddyApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly caddyMessage: string,
  ) {
    super(`Caddy admin API ${method} ${path}: ${status} ${caddyMessage}`);
    this.name = "CaddyApiError";
  }
}
