import { CaddyApiError } from "./caddy-api-error.js";
import type { CaddyClient } from "./caddy-client.js";
import { routeId } from "./coduck-server.js";
import { checkSlug } from "./route-names.js";

// Caddy 2.6 accepts two objects with one @id; a delete takes one of them, so delete until none.
const MAX_COPIES = 10;

/** Removes the project's route (every copy of it); false when it had none. Idempotent. */
export async function removeRoute(client: CaddyClient, slug: string): Promise<boolean> {
  checkSlug(slug);
  return deleteRouteById(client, routeId(slug));
}

/** Deletes every route tagged `id`; false when there was none. */
export async function deleteRouteById(client: CaddyClient, id: string): Promise<boolean> {
  let removed = false;
  for (let copy = 0; copy < MAX_COPIES; copy++) {
    try {
      await client.delete(`/id/${encodeURIComponent(id)}`);
      removed = true;
    } catch (error) {
      if (isUnknownId(error)) return removed;
      throw error;
    }
  }
  return removed;
}

/** Caddy's answer to /id/<id> when no object has that @id. */
export function isUnknownId(error: unknown): boolean {
  return error instanceof CaddyApiError && error.status === 404;
}
