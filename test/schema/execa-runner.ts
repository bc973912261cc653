import { execa } from "execa";
import type { SchemaCommandRunner } from "../../src/schema/schema-command.js";

/** A SchemaCommandRunner for tests: runs in `cwd` with a clean environment, output as lines. */
export function execaRunner(cwd: string, log: string[] = []): SchemaCommandRunner {
  return async (file, args, env) => {
    const result = await execa(file, args, {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
      extendEnv: false,
      stdin: "ignore",
      all: true,
      reject: false,
    });
    const output = result.all === "" ? [] : result.all.split("\n");
    log.push(`$ prisma ${args.join(" ")}`, ...output);
    return { exitCode: result.exitCode ?? null, output };
  };
}
