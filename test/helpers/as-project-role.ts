import pg from "pg";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import type { TestStack } from "./test-worker.js";

/** Runs `work` as the project's own role over its DIRECT_URL, as the app would connect. */
export async function asProjectRole<T>(
  stack: TestStack,
  project: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const credentials = await projectCredentials(stack, project);
  const client = new pg.Client(credentials!.direct);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
