import type { SupervisorClient } from "./supervisor-client.js";

/** Group names that rereading the configuration found added, changed and removed on disk. */
export type ConfigChanges = { added: string[]; changed: string[]; removed: string[] };

/**
 * Has supervisord reread its configuration (supervisor.reloadConfig). That only compares: groups
 * start or stop when added or removed (addProcessGroup, removeProcessGroup). A file that does not
 * parse is supervisord's fault CANT_REREAD, naming the file.
 */
export async function reloadConfig(client: SupervisorClient): Promise<ConfigChanges> {
  const answer = await client.call("supervisor.reloadConfig");
  // supervisord wraps the three lists in one more array: [[added, changed, removed]].
  const [lists] = Array.isArray(answer) ? answer : [];
  if (!Array.isArray(lists) || lists.length !== 3 || !lists.every(isNames)) {
    throw new Error(`unexpected reloadConfig answer from supervisord: ${JSON.stringify(answer)}`);
  }
  const [added, changed, removed] = lists as [string[], string[], string[]];
  return { added, changed, removed };
}

function isNames(list: unknown): list is string[] {
  return Array.isArray(list) && list.every((name) => typeof name === "string");
}
