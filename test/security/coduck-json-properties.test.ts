import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { readCoduckJson } from "../../src/apps/read-coduck-json.js";
import { propertyRuns } from "../helpers/property-runs.js";

// Whatever a repository's coduck.json holds, reading it ends with the config or one specific
// sentence (CONFIG_INVALID or RESERVED_ENV), never an exception.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-json-props-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function readContent(content: string | Uint8Array) {
  await writeFile(path.join(dir, "coduck.json"), content);
  return readCoduckJson(dir);
}

function expectOutcome(result: Awaited<ReturnType<typeof readCoduckJson>>) {
  if (result.ok) return;
  expect(["CONFIG_INVALID", "RESERVED_ENV"]).toContain(result.problem.code);
  expect(result.problem.message).toMatch(/^coduck\.json/);
  expect(result.problem.message).not.toContain("\n");
  expect(result.problem.message.length).toBeLessThan(2_000);
}

const KEYS = ["install", "build", "preStart", "start", "healthcheck", "env", "timeouts"];
/** Objects shaped like a coduck.json: its keys (and others) with values of any JSON type. */
const configLike = fc.dictionary(
  fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })),
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom("path", "timeoutSeconds", "DATABASE_URL", "PORT", "install"),
        fc.string(),
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  ),
  { maxKeys: 6 },
);

it("reads any bytes (binary, invalid UTF-8) without throwing", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
      expectOutcome(await readContent(bytes));
    }),
    propertyRuns(150),
  );
});

it("reads any JSON text, and any text, without throwing", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ unit: "binary", maxLength: 500 })),
      async (text) => {
        expectOutcome(await readContent(text));
      },
    ),
    propertyRuns(150),
  );
});

it("accepts an object only when every key and value is one it knows", async () => {
  await fc.assert(
    fc.asyncProperty(configLike, async (config) => {
      const result = await readContent(JSON.stringify(config));
      expectOutcome(result);
      if (result.ok) {
        for (const key of Object.keys(config)) expect(KEYS).toContain(key);
        for (const name of ["DATABASE_URL", "DIRECT_URL", "PORT"])
          expect(Object.keys(result.config.env ?? {})).not.toContain(name);
      } else if (Object.keys(config).some((key) => !KEYS.includes(key))) {
        expect(result.problem.code).toBe("CONFIG_INVALID");
      }
    }),
    propertyRuns(300),
  );
});

it("reads a 10 MB single-line coduck.json with a clear error", async () => {
  const result = await readContent(`{"install": "${"x".repeat(10 * 1024 * 1024)}"}`);
  expect(result).toEqual({
    ok: false,
    problem: {
      code: "CONFIG_INVALID",
      message: "coduck.json: install: expected a command of at most 4096 characters",
    },
  });
});
