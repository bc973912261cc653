import { webhookSecrets } from "../../src/doctor/checks/webhook-secrets.js";
import { createDoctorContext } from "../../src/doctor/doctor-context.js";
import { addProject } from "../../src/store/projects.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// doctor's webhook-secrets check: projects still without a secret of their own are named.
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

async function check(fallback = false) {
  const ctx = createDoctorContext({
    ...stack.config,
    http: { ...stack.config.http, webhookGlobalSecretFallback: fallback },
  });
  try {
    return await webhookSecrets.run(ctx);
  } finally {
    await ctx.close();
  }
}

it("is ok when every project has its own secret, and names those without one", async () => {
  await addProject(stack.db, stack.keyring, {
    slug: "fresh",
    repoUrl: "https://github.com/acme/fresh.git",
    branch: "main",
  });
  expect(await check()).toEqual({
    status: "ok",
    message: "every project verifies its pushes with its own webhook secret",
  });
  expect((await check(true)).status).toBe("warn");
  await stack.db.project.create({
    data: { slug: "legacy", repoUrl: "https://github.com/acme/legacy.git" },
  });
  const found = await check();
  expect(found).toMatchObject({
    status: "warn",
    message:
      "1 project(s) without a webhook secret of their own (legacy): their pushes are refused (401)",
  });
  expect(found.fix).toMatch(/projects set <slug> --rotate-webhook-secret/);
  expect((await check(true)).message).toMatch(/verified with the global GITHUB_WEBHOOK_SECRET/);
});
