import { writeFile } from "node:fs/promises";
import path from "node:path";
import { readCoduckJson } from "../../src/apps/read-coduck-json.js";
import { tempDir } from "../helpers/temp-dir.js";

async function read(text: string | null) {
  const dir = await tempDir("coduck-json-");
  if (text !== null) await writeFile(path.join(dir, "coduck.json"), text);
  return readCoduckJson(dir);
}

describe("coduck.json", () => {
  it("is optional", async () => {
    expect(await read(null)).toEqual({ ok: true, config: {} });
  });

  it("accepts every documented key", async () => {
    const config = {
      install: "npm ci --omit=optional",
      build: "npm run build:prod",
      preStart: "prisma migrate deploy",
      start: "node dist/server.js",
      healthcheck: { path: "/healthz", timeoutSeconds: 30 },
      env: { LOG_LEVEL: "debug", FEATURE_X: "on" },
      timeouts: { install: 600, build: 900, schema: 120, start: 60 },
    };
    expect(await read(JSON.stringify(config))).toEqual({ ok: true, config });
  });

  it("points at the line and column of a JSON syntax error", async () => {
    expect(await read('{\n  "build": "tsc",\n}\n')).toEqual({
      ok: false,
      problem: {
        code: "CONFIG_INVALID",
        message:
          "coduck.json is not valid JSON: line 3, column 1: a property name in double quotes was expected (no trailing commas)",
      },
    });
    const unquoted = await read('{ "start": node server.js }');
    expect(unquoted.ok || unquoted.problem.message).toBe(
      "coduck.json is not valid JSON: line 1, column 12: unexpected character",
    );
  });

  it("names an unknown key and lists the allowed ones", async () => {
    const result = await read(JSON.stringify({ buildCommand: "tsc" }));
    expect(result.ok || result.problem.message).toBe(
      'coduck.json: unknown key "buildCommand"; allowed keys are install, build, preStart, start, healthcheck, env, timeouts',
    );
  });

  it("names the key of a bad value", async () => {
    const result = await read(
      JSON.stringify({ healthcheck: { path: "healthz", timeoutSeconds: 0 }, start: "" }),
    );
    expect(result.ok || result.problem.message).toBe(
      "coduck.json: start: expected a shell command, not an empty string; healthcheck.path: expected a path starting with / (for example /healthz); healthcheck.timeoutSeconds: expected a whole number of seconds from 1 to 600",
    );
    const badName = await read(JSON.stringify({ env: { "MY-VAR": "x" } }));
    expect(badName.ok || badName.problem.message).toMatch(
      /^coduck.json: env.MY-VAR: expected a variable name/,
    );
  });

  it("refuses reserved variables, saying the platform injects them", async () => {
    const result = await read(
      JSON.stringify({ env: { DATABASE_URL: "postgres://me@elsewhere/db", PORT: "80" } }),
    );
    expect(result).toEqual({
      ok: false,
      problem: {
        code: "RESERVED_ENV",
        message:
          "coduck.json env sets DATABASE_URL, PORT: these are reserved and injected by the platform (DATABASE_URL through PgBouncer, DIRECT_URL for migrations, PORT to listen on); remove them",
      },
    });
  });

  it("is an object, not anything else", async () => {
    const result = await read("[1, 2]");
    expect(result.ok).toBe(false);
  });
});
