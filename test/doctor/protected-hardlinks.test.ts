import { readFile } from "node:fs/promises";
import type { Config } from "../../src/config.js";
import { protectedHardlinks } from "../../src/doctor/checks/protected-hardlinks.js";
import type { DoctorContext } from "../../src/doctor/doctor-context.js";

// The worker relies on the kernel refusing hard links to files the app user does not own.
const context = (sandbox: Config["sandbox"]) =>
  ({ config: { sandbox } as Config }) as unknown as DoctorContext;

it("reports this machine's fs.protected_hardlinks as it is", async () => {
  const value = (await readFile("/proc/sys/fs/protected_hardlinks", "utf8")).trim();
  const result = await protectedHardlinks.run(context("bwrap"));
  expect(result.status).toBe(value === "1" ? "ok" : "fail");
  expect(result.message).toContain("fs.protected_hardlinks");
});

it("does not need it when app code runs as the worker itself", async () => {
  expect(await protectedHardlinks.run(context("off"))).toMatchObject({ status: "ok" });
});
