import { type CaddyAdminAddress, type CaddyClient, caddyClient } from "./caddy-client.js";
import { ensureCoduckServer } from "./ensure-coduck-server.js";

/** How our server listens in an operator's Caddy. */
export type ConnectOptions = {
  /** Caddy listen addresses for our server; default [":443"], where Caddy serves HTTPS. */
  listen?: string[];
  /** Caddy's automatic HTTPS for our server (on-demand TLS needs it); default true. */
  automaticHttps?: boolean;
};

/**
 * A client of an operator's Caddy at `adminAddress`, with our server `coduck` made to exist
 * (created when missing, listening where `options` says); other servers are not touched.
 */
export async function connectCaddy(
  adminAddress: CaddyAdminAddress,
  options: ConnectOptions = {},
): Promise<CaddyClient> {
  const client = caddyClient(adminAddress);
  await ensureCoduckServer(client, {
    listen: options.listen ?? [":443"],
    automaticHttps: options.automaticHttps ?? true,
  });
  return client;
}
