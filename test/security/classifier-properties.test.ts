import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import v8 from "node:v8";
import vm from "node:vm";
import fc from "fast-check";
import { installScriptWarnings } from "../../src/apps/install-script-warnings.js";
import { installCommand } from "../../src/apps/package-manager.js";
import { readCoduckJson } from "../../src/apps/read-coduck-json.js";
import { classifyLog, classifyLogStream, createClassifier } from "../../src/failures/classify.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { pickEvidence } from "../../src/failures/pick-evidence.js";
import { HANDLED_LINE } from "../../src/failures/rules/handled-lines.js";
import { RULES } from "../../src/failures/rules/index.js";
import { MIGRATION_ACTIVITY, MIGRATION_DONE } from "../../src/failures/rules/migration-activity.js";
import { backtrackingHazards } from "../../src/failures/scan/backtracking-hazards.js";
import { lineText } from "../../src/failures/scan/line-text.js";
import { RULE_LITERALS } from "../../src/failures/scan/match-line.js";
import { alternatives, requiredLiterals } from "../../src/failures/scan/required-literals.js";
import { FAILURE_STEPS, type FailureStep } from "../../src/pipeline/step-names.js";
import { additiveScript } from "../../src/schema/additive-script.js";
import { declaresModels } from "../../src/schema/declares-models.js";
import { findPrismaSchema } from "../../src/schema/find-prisma-schema.js";
import {
  prismaDeclaredObjects,
  prismaDeclaredTables,
} from "../../src/schema/prisma-declared-objects.js";
import { prismaUnreadObjects } from "../../src/schema/prisma-unread-objects.js";
import { stripComments } from "../../src/schema/strip-comments.js";
import { almostMatchingLines, spellings } from "../helpers/almost-matching-lines.js";
import { readCorpus } from "../helpers/failure-corpus.js";
import { propertyRuns } from "../helpers/property-runs.js";
import { tenantTextPatterns } from "../helpers/tenant-text-patterns.js";

// Whatever bytes a step prints, the classifier ends, names a catalogued code and keeps its
// evidence short: binary data, invalid UTF-8, lone surrogates, huge single lines.
const step = fc.constantFrom(...FAILURE_STEPS);
const exitCode = fc.option(fc.integer({ min: -255, max: 255 }));
const CODES = Object.keys(FAILURE_CODES);

/** A byte stream in the chunks a pipe would deliver, each made when it is read. */
const chunked = (bytes: Uint8Array, size: number) =>
  Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += size)
        yield Buffer.from(bytes.subarray(at, at + size));
    })(),
  );

function expectSane(result: Awaited<ReturnType<typeof classifyLog>>) {
  expect(CODES).toContain(result.code);
  expect(typeof result.hint).toBe("string");
  expect(result.evidence.length).toBeLessThanOrEqual(20);
  for (const line of result.evidence) expect(line.text.length).toBeLessThanOrEqual(64 * 1024);
}

it("classifies any bytes, read as a stream (binary, invalid UTF-8)", async () => {
  await fc.assert(
    fc.asyncProperty(
      step,
      exitCode,
      fc.uint8Array({ maxLength: 4096 }),
      fc.integer({ min: 1, max: 512 }),
      async (name, code, bytes, size) => {
        expectSane(
          await classifyLogStream({ step: name, exitCode: code, stream: chunked(bytes, size) }),
        );
      },
    ),
    propertyRuns(200),
  );
});

it("classifies any strings, lone surrogates and control characters included", async () => {
  await fc.assert(
    fc.asyncProperty(
      step,
      exitCode,
      fc.array(fc.string({ unit: "binary", maxLength: 300 }), { maxLength: 40 }),
      async (name, code, lines) => {
        expectSane(await classifyLog({ step: name, exitCode: code, log: lines }));
      },
    ),
    propertyRuns(200),
  );
});

it("ends on a 10 MB single line of binary with invalid UTF-8, keeping a bounded slice of it", async () => {
  // Bytes 0x01–0xff but never a newline, with 0xc3 (a UTF-8 lead byte) before arbitrary bytes.
  const line = Buffer.alloc(10 * 1024 * 1024);
  for (let i = 0; i < line.length; i++) line[i] = i % 7 === 0 ? 0xc3 : ((i * 31) % 255) + 1;
  for (let i = 0; i < line.length; i++) if (line[i] === 0x0a) line[i] = 0x20;
  const bytes = Buffer.concat([line, Buffer.from("\nError: Cannot find module 'left-pad'\n")]);
  // What the process still holds once garbage is collected (the chunks given are copies), not
  // its RSS: the allocator keeps freed pages as it sees fit. V8 may release the memory of
  // collected buffers a moment after the collection (a loaded machine showed all 10 MB still
  // counted): the least of a few samples, a little apart, is what is held.
  v8.setFlagsFromString("--expose-gc");
  const collectGarbage = vm.runInNewContext("gc") as () => void;
  const held = async () => {
    let least = Number.POSITIVE_INFINITY;
    for (let sample = 0; sample < 3; sample++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      least = Math.min(least, heapUsed + arrayBuffers);
    }
    return least;
  };
  const before = await held();
  const result = await classifyLogStream({
    step: "build",
    exitCode: 1,
    stream: chunked(bytes, 64 * 1024),
  });
  expectSane(result);
  expect(result.code).toBe("MODULE_NOT_FOUND");
  // The huge line is never held whole: far less than its 10 MB is added to the process.
  expect((await held()) - before).toBeLessThan(8 * 1024 * 1024);
});

// Log bombs: a line that almost matches a rule must cost about what any line costs. Times are
// compared as ratios to ordinary text of the same size measured in the same run (medians, a
// generous factor: other sessions load this machine), never as absolute times.
describe("a line that almost matches costs what any line costs", () => {
  const MAX_RATIO = 10;
  const ordinaryLog = readCorpus()
    .map((c) => c.log)
    .join("\n");
  const sized = (text: string, bytes: number) =>
    text.repeat(Math.ceil(bytes / text.length)).slice(0, bytes);

  /**
   * Milliseconds to classify these bytes in a step as the worker does (chunks of a line's
   * size, then the verdict); Infinity once past `budget` ms, so a bomb fails the test early.
   */
  const classifyMs = (bytes: Buffer, name: FailureStep, budget = Number.POSITIVE_INFINITY) => {
    const start = performance.now();
    const classifier = createClassifier(name);
    for (let at = 0; at < bytes.length; at += 4096) {
      classifier.write(bytes.subarray(at, at + 4096));
      if (performance.now() - start > budget) return Number.POSITIVE_INFINITY;
    }
    classifier.finish({ exitCode: 1, signal: null, timedOut: false });
    return performance.now() - start;
  };

  it("for every rule alternative, lines made of its own beginnings, and 1 MB lines", () => {
    const ordinary = Buffer.from(sized(ordinaryLog, 1024 * 1024));
    const perByte = () => median(times(5, () => classifyMs(ordinary, "build"))) / ordinary.length;
    times(2, () => classifyMs(ordinary, "build"));
    let baseline = perByte();

    // The shapes that blew up before, single lines of 1 MB (lineText reads their start), then
    // lines made of each rule alternative's beginnings.
    const blocks: { what: string; step: FailureStep; bytes: Buffer }[] = [];
    const MB = 1024 * 1024;
    for (const unit of [
      "http://a ",
      "http://",
      "::::",
      "at ",
      "ECONNRESET ",
      "running ",
      "ERR_PNPM_",
    ]) {
      for (const tail of ["", "ECONNRESETx", "\u2028ECONNRESET"]) {
        blocks.push({
          what: `${JSON.stringify(unit)} × N + ${JSON.stringify(tail)}`,
          step: "install",
          bytes: Buffer.from(`${sized(unit, 4096 - tail.length)}${tail}\n`.repeat(16)),
        });
      }
      blocks.push({
        what: `one 1 MB line of ${JSON.stringify(unit)}`,
        step: "build",
        bytes: Buffer.from(`${sized(unit, MB)}ECONNRESETx\n`),
      });
    }
    for (const { pattern, owner } of RULE_LITERALS.alternatives) {
      blocks.push({
        what: `/${pattern.source}/${pattern.flags}`,
        step: (owner >= 0 && RULES[owner]!.steps?.[0]) || "build",
        bytes: Buffer.from(`${almostMatchingLines(pattern).join("\n")}\n`),
      });
    }

    const ratio = (block: (typeof blocks)[number], runs: number) => {
      const expected = baseline * block.bytes.length;
      const budget = Math.max(5000, 20 * MAX_RATIO * expected);
      return median(times(runs, () => classifyMs(block.bytes, block.step, budget))) / expected;
    };
    // Once each; what looks slow is measured again, with the baseline, before it counts.
    const suspects: (typeof blocks)[number][] = [];
    const slow: { what: string; ratio: number }[] = [];
    for (const block of blocks) {
      const once = ratio(block, 1);
      if (once === Number.POSITIVE_INFINITY) slow.push({ what: block.what, ratio: once });
      else if (once > MAX_RATIO) suspects.push(block);
      // One bomb is enough: the others would take as long.
      if (slow.length > 0) break;
    }
    baseline = perByte();
    for (const block of slow.length > 0 ? [] : suspects) {
      const again = ratio(block, 5);
      if (again > MAX_RATIO) slow.push({ what: block.what, ratio: Number(again.toFixed(1)) });
    }
    expect(slow).toEqual([]);
  }, 300_000);

  it("for any mix of the rules' literals and beginnings, repeated to a line's length", () => {
    const pool = [
      ...new Set(
        RULE_LITERALS.alternatives.flatMap(({ pattern }) => [
          ...(requiredLiterals(pattern.source, pattern.flags.includes("i")) ?? []),
          ...spellings(pattern).flatMap((whole) => [
            whole,
            whole.slice(0, 3),
            whole.slice(0, 8),
            whole.slice(0, whole.length >> 1),
          ]),
        ]),
      ),
    ].filter((fragment) => fragment.length > 0);
    const ordinary = Buffer.from(sized(ordinaryLog, 256 * 1024));
    const perByte = () => median(times(5, () => classifyMs(ordinary, "build"))) / ordinary.length;
    times(2, () => classifyMs(ordinary, "build"));
    let baseline = perByte();
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...pool),
            // The pieces of the bombs found so far, as often as all the rest.
            fc.constantFrom(
              "http://",
              "https://a",
              "ECONNRESET",
              "running ",
              "ERR_PNPM_",
              "[",
              "at ",
            ),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom("", " ", "/", ":", "x", "\t"),
        step,
        (fragments, separator, name) => {
          const unit = `${fragments.join(separator)}${separator}`;
          const bytes = Buffer.from(`${sized(unit, 4096)}\n`.repeat(16));
          const ratio = (runs: number) => {
            const expected = baseline * bytes.length;
            const budget = Math.max(5000, 20 * MAX_RATIO * expected);
            return median(times(runs, () => classifyMs(bytes, name, budget))) / expected;
          };
          let found = ratio(1);
          if (found > MAX_RATIO && found < Number.POSITIVE_INFINITY) {
            baseline = perByte();
            found = ratio(5);
          }
          expect([unit, found <= MAX_RATIO]).toEqual([unit, true]);
        },
      ),
      propertyRuns(60),
    );
  }, 300_000);

  it("for every parser of a file the tenant writes, its worst inputs against an ordinary one", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-log-bombs-"));
    try {
      const SIZE = 128 * 1024;
      // A parser's worst input may cost more per byte than an ordinary file, linearly: `;\n` × N
      // makes N statements to allocate, which a loaded machine's collector makes dearer still.
      // What this looks for grows with the input: before the fix, 43× to 8000× at 64 KiB.
      const MAX_PARSER_RATIO = 20;
      const inDir = async (file: string, text: string) => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, file), text);
        if (file !== "package.json") await writeFile(path.join(dir, "package.json"), "{}");
      };
      type Parser = {
        name: string;
        ordinary: string;
        worst: string[];
        /** Prepares (writes files), then returns what is timed. */
        run: (text: string) => Promise<() => unknown>;
      };
      const parsers: Parser[] = [
        {
          name: "stripComments",
          ordinary: PRISMA_SCHEMA,
          worst: ["/*", '"', "//", "\\", '"\\', "/* */ //\n"],
          run: async (text) => () => stripComments(text, "\"'`"),
        },
        {
          name: "declaresModels",
          ordinary: PRISMA_SCHEMA,
          worst: ["model A ", "\n", " ", "model ", "model A\t", "model a".padEnd(40, "a")],
          run: async (text) => () => declaresModels(text),
        },
        {
          name: "prismaUnreadObjects",
          ordinary: PRISMA_SCHEMA,
          worst: [
            "model A {\n",
            'model A {\n@@map("',
            "model A {\n  x Unsupported(",
            "}\n",
            '@@map("\\',
          ],
          run: async (text) => () => prismaUnreadObjects(text),
        },
        {
          name: "prismaDeclaredObjects and prismaDeclaredTables",
          ordinary: CREATE_SCRIPT,
          worst: [
            'CREATE TABLE "a" (\n',
            "\n",
            " \n",
            '""',
            'CREATE TABLE "',
            '  "a" ',
            'CREATE TYPE "a"',
          ],
          run: async (text) => () => {
            prismaDeclaredObjects(text, "public");
            prismaDeclaredTables(text, "public");
          },
        },
        {
          name: "additiveScript",
          ordinary: CREATE_SCRIPT,
          worst: [
            'ALTER TABLE "t" ALTER COLUMN "a" SET DEFAULT 1, ',
            ";\n",
            "-- x\n",
            "ALTER TABLE ",
            "DROP ",
          ],
          run: async (text) => () => additiveScript(text, { tables: [], enums: [] }, "public"),
        },
        {
          name: "installScriptWarnings",
          ordinary: NPM_WARNINGS,
          worst: [
            "npm warn install-scripts   a (install: ",
            "npm warn install-scripts 1 package has install scripts not yet covered\n",
            "; install: ",
          ],
          run: async (text) => {
            const lines = text.split("\n");
            return () => installScriptWarnings(lines);
          },
        },
        {
          name: "lineText and pickEvidence",
          ordinary: ordinaryLog,
          worst: ["\x1b]", "\x1b[", "\x1b[0", "\r", "\x1b]0;\x1b", "error: ", "npm error "],
          run: async (text) => {
            const lines = text.split("\n");
            return () => {
              for (const line of lines) lineText(line);
              pickEvidence(lines);
            };
          },
        },
        {
          name: "coduck.json (readCoduckJson)",
          ordinary: JSON.stringify({
            build: "npm run build",
            env: Object.fromEntries(
              Array.from({ length: SIZE / 40 }, (_, i) => [`VARIABLE_${i}`, "some value here"]),
            ),
          }),
          worst: ["[", '{"a":', '"\\', "[1,", '{"env":{"A":"\\u00'],
          run: async (text) => {
            await inDir("coduck.json", text);
            return () => readCoduckJson(dir);
          },
        },
        {
          name: "prisma.config.ts (findPrismaSchema)",
          ordinary: PRISMA_CONFIG,
          worst: ["schema: '", "schema:", 'schema: "\\', "schema: `${", "/*"],
          run: async (text) => {
            await inDir("prisma.config.ts", text);
            return () => findPrismaSchema(dir);
          },
        },
        {
          name: "yarn.lock (installCommand)",
          ordinary: YARN_LOCK,
          worst: ["__metadata", "\n", "__metadata:", "yarnPath"],
          run: async (text) => {
            await inDir("yarn.lock", text);
            return () => installCommand(dir).catch(() => undefined);
          },
        },
      ];

      // Each sample calls fn for 5 ms at least (once, if a call takes longer).
      const sample = async (fn: () => unknown) => {
        const start = performance.now();
        let calls = 0;
        do {
          await fn();
          calls++;
        } while (performance.now() - start < 5);
        return (performance.now() - start) / calls;
      };
      // The worst input's time over the ordinary one's, measured in turn (so that both see the
      // same load), the median of `pairs` such ratios.
      const pairedRatio = async (
        ordinary: string,
        worst: string,
        run: Parser["run"],
        pairs: number,
      ) => {
        const ratios: number[] = [];
        for (let i = 0; i < pairs; i++) {
          const base = await sample(await run(ordinary));
          ratios.push((await sample(await run(worst))) / base);
        }
        return median(ratios);
      };
      const slow: { parser: string; input: string; ratio?: number; error?: string }[] = [];
      for (const parser of parsers) {
        const ordinary = sized(parser.ordinary, SIZE);
        await sample(await parser.run(ordinary));
        for (const unit of parser.worst) {
          try {
            const worst = sized(unit, SIZE);
            let ratio = await pairedRatio(ordinary, worst, parser.run, 1);
            // Noise (another process, a collection) may have made it: again, in turns. Far
            // past the bound, the one measure decides.
            if (ratio > MAX_PARSER_RATIO && ratio < 20 * MAX_PARSER_RATIO)
              ratio = await pairedRatio(ordinary, worst, parser.run, 7);
            if (ratio > MAX_PARSER_RATIO)
              slow.push({ parser: parser.name, input: unit, ratio: Number(ratio.toFixed(1)) });
          } catch (error) {
            slow.push({ parser: parser.name, input: unit, error: String(error) });
          }
        }
      }
      expect(slow).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

it("refuses a coduck.json nested 100,000 deep in one line (the syntax error's reader recursed)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-deep-json-"));
  try {
    await writeFile(path.join(dir, "coduck.json"), "[".repeat(100_000));
    expect(await readCoduckJson(dir)).toEqual({
      ok: false,
      problem: {
        code: "CONFIG_INVALID",
        message: "coduck.json is not valid JSON: arrays or objects are nested too deeply",
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe("no pattern that reads tenant text can backtrack beyond linear", () => {
  it("every alternative of every rule, and the classifier's other patterns", () => {
    const patterns = [
      ...RULES.map((rule) => rule.pattern),
      MIGRATION_ACTIVITY,
      MIGRATION_DONE,
      HANDLED_LINE,
    ];
    const hazards = patterns.flatMap((pattern) =>
      alternatives(pattern.source).flatMap((source) =>
        backtrackingHazards(new RegExp(source, pattern.flags)).map((h) => `/${source}/: ${h}`),
      ),
    );
    expect(hazards).toEqual([]);
  });

  it("every pattern written in the classifier and the parsers of tenant files", async () => {
    const found = await tenantTextPatterns();
    // The reader itself would let these through otherwise.
    expect(found.length).toBeGreaterThan(50);
    const hazards = found.flatMap(({ where, pattern }) =>
      backtrackingHazards(pattern).map((h) => `${where} /${pattern.source}/: ${h}`),
    );
    expect(hazards).toEqual([]);
  });

  it("finds the shapes that blow up", () => {
    for (const bomb of [
      /(a+)+$/,
      /https?:\/\/\S+.*\b(?:ECONNRESET|ETIMEDOUT)\b/,
      /.*foo.*bar/,
      /\b(?:applying|running)\b.*\.sql\b/,
      /ERR_PNPM_\w*LOCKFILE/,
      /^\s*CREATE TABLE/m,
      /\/+$/,
      /^ALTER\s+TABLE\b[\s\S]*\bALTER\s+COLUMN\b[\s\S]*\bTYPE\b/,
    ]) {
      expect([bomb.source, backtrackingHazards(bomb).length > 0]).toEqual([bomb.source, true]);
    }
    for (const fine of [
      /Cannot find module ['"][^'"]+['"]/,
      /^[ \t]*model[ \t]+[A-Za-z_]\w*[ \t]*\{/m,
      /(?:^|[\n\r\u2028\u2029])(?:(?!foo).)*foo.*bar/,
      /"((?:[^"]|"")+)"\./,
      /^npm warn install-scripts {3}(\S+) \((.*)\)$/,
    ]) {
      expect([fine.source, backtrackingHazards(fine)]).toEqual([fine.source, []]);
    }
  });
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function times<T>(n: number, fn: () => T): T[] {
  return Array.from({ length: n }, fn);
}

// Ordinary tenant files, repeated to size.
const PRISMA_SCHEMA = `// The blog's schema.
generator client {
  provider = "prisma-client-js"
}

/// A person who writes.
model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique @map("email_address")
  name      String?
  posts     Post[]
  legacy    Unsupported("tsvector")?
  createdAt DateTime @default(now()) @map("created_at")

  @@map("users")
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String /* the headline */
  body     String @ignore
  author   User   @relation(fields: [authorId], references: [id])
  authorId Int

  @@schema("content")
}

enum Role {
  ADMIN
  EDITOR
}
`;

const CREATE_SCRIPT = `-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "content";

-- CreateEnum
CREATE TYPE "public"."Role" AS ENUM ('ADMIN', 'EDITOR');

-- CreateTable
CREATE TABLE "public"."users" (
    "id" SERIAL NOT NULL,
    "email_address" TEXT NOT NULL,
    "name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "public"."users" ALTER COLUMN "name" SET DATA TYPE VARCHAR(200);

-- AddForeignKey
ALTER TABLE "content"."Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "public"."users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

`;

const NPM_WARNINGS = `npm warn deprecated inflight@1.0.6: This module is not supported
npm warn install-scripts 2 packages have install scripts not yet covered by allowScripts:
npm warn install-scripts   esbuild@0.28.2 (postinstall: node install.js)
npm warn install-scripts   @parcel/watcher@2.5.1 (install: node scripts/build-from-source.js; postinstall: node x.js)
added 120 packages in 3s
`;

const PRISMA_CONFIG = `// Prisma's config: where the schema is.
import "dotenv/config";
import { defineConfig } from "prisma/config";

/* The schema lives with the database code. */
export default defineConfig({
  migrations: { path: "db/migrations" },
  schema: "db/schema.prisma",
});
`;

const YARN_LOCK = `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


left-pad@^1.3.0:
  version "1.3.0"
  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e"
  integrity sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQQ8s8CD6R4iCTC0yrfRHtRVkPBFTPP0JF4qMv3tD+xkF/zA==

`;
