import { childEnv } from "../../src/exec/child-env.js";
import { runCommand } from "../../src/exec/run-command.js";
import { StepLog } from "../../src/pipeline/step-log.js";
import { claimDeployment, createDeployment } from "../../src/store/deployments.js";
import type { Db } from "../../src/store/prisma.js";
import { StaleAttemptError } from "../../src/store/stale-attempt.js";
import { type LogTarget, readLogLines } from "../../src/store/step-log-lines.js";
import { connectTestDatabase } from "../helpers/databases.js";

let db: Db;
let closeDatabase: () => Promise<void>;
let stepId: string;
/** The step's log as its deployment's running attempt writes it. */
let target: LogTarget;

beforeAll(async () => {
  ({ db, close: closeDatabase } = await connectTestDatabase());
});
afterAll(async () => {
  await closeDatabase?.();
});
beforeEach(async () => {
  const { id } = await createDeployment(db, {
    project: "logs",
    repoUrl: "/x",
    ref: "main",
    trigger: "test",
    steps: ["build"],
  });
  stepId = (await db.deploymentStep.findFirstOrThrow({ where: { deploymentId: id } })).id;
  const { attempt } = (await claimDeployment(db, id))!;
  target = { deploymentId: id, attempt, stepId };
});

const limits = { maxLines: 1_000, maxLineLength: 100, tailLines: 5 };

describe("StepLog", () => {
  it("stores every line in order with its stream", async () => {
    const log = new StepLog(db, target, [], limits);
    for (let i = 0; i < 600; i++) log.write(i % 2 ? "stderr" : "stdout", `line ${i}`);
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored.map((l) => l.line)).toEqual(Array.from({ length: 600 }, (_, i) => `line ${i}`));
    expect(stored.map((l) => l.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(stored[1]!.stream).toBe("stderr");
  });

  it("stores a platform message of several lines as several lines, in the stream it was written to", async () => {
    const log = new StepLog(db, target, [], limits);
    log.write("stdout", "> next build");
    log.write("system", "build stopped: could not read\n  src/app.ts");
    log.write("stderr", "after");
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored.map(({ seq, stream, line }) => [seq, stream, line])).toEqual([
      [0, "stdout", "> next build"],
      [1, "system", "build stopped: could not read"],
      [2, "system", "  src/app.ts"],
      [3, "stderr", "after"],
    ]);
  });

  it("caps the stored lines per step and says how many it dropped", async () => {
    const log = new StepLog(db, target, [], limits);
    for (let i = 0; i < 1_500; i++) log.write("stdout", `line ${i}`);
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored).toHaveLength(1_001);
    expect(stored.at(-1)!.line).toBe(
      "[... 500 more lines not stored: the step log is capped at 1000 lines ...]",
    );
    expect(log.tail().split("\n")).toEqual([
      "line 1495",
      "line 1496",
      "line 1497",
      "line 1498",
      "line 1499",
    ]);
  });

  it("redacts secrets before storing, even in a line it cuts", async () => {
    const secret = "s3cr3t-password-value";
    const log = new StepLog(db, target, [secret], limits);
    log.write("stdout", `connecting to postgres://app:${secret}@db/app`);
    log.write("stdout", `${"x".repeat(90)}${secret}`);
    await log.close();
    const stored = (await readLogLines(db, stepId)).map((l) => l.line).join("\n");
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain("s3cr3t");
    expect(stored).toContain("postgres://app:[redacted]@db/app");
    expect(log.tail()).not.toContain(secret);
  });

  it("cuts very long lines and strips NUL bytes Postgres cannot store", async () => {
    const log = new StepLog(db, target, [], limits);
    log.write("stdout", "y".repeat(10_000));
    log.write("stdout", "a\u0000b");
    await log.close();
    const [long, nul] = (await readLogLines(db, stepId)).map((l) => l.line);
    expect(long).toBe(`${"y".repeat(100)} [... 9900 more characters]`);
    expect(nul).toBe("ab");
  });
});

describe("StepLog with a command's output", () => {
  const runInto = async (log: StepLog, script: string) => {
    await runCommand(
      { file: "sh", args: ["-c", script], cwd: "/tmp", env: childEnv() },
      { onOutput: log.writeOutput, timeoutMs: 10_000 },
    );
    await log.close();
  };

  it("redacts a secret the command printed in two parts", async () => {
    const secret = "s3cr3t-password-value";
    const log = new StepLog(db, target, [secret], limits);
    await runInto(
      log,
      `printf 'url=postgres://app:s3cr3t-pass'; sleep 0.2; printf 'word-value@db\\n'`,
    );
    const stored = (await readLogLines(db, stepId)).map((l) => l.line);
    expect(stored).toEqual(["url=postgres://app:[redacted]@db"]);
    expect(log.tail()).toBe("url=postgres://app:[redacted]@db");
  });

  it("stores each line of a chunk as its own line, stderr marked, with the time it came", async () => {
    const before = Date.now();
    const log = new StepLog(db, target, [], limits);
    await runInto(log, "printf 'one\\r\\ntwo\\n\\nthree'; echo oops >&2");
    const stored = await readLogLines(db, stepId);
    expect(stored.filter((l) => l.stream === "stdout").map((l) => l.line)).toEqual([
      "one",
      "two",
      "",
      "three",
    ]);
    expect(stored.filter((l) => l.stream === "stderr").map((l) => l.line)).toEqual(["oops"]);
    for (const line of stored) {
      expect(line.at.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(line.at.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    }
  });

  it("cuts a line too long to read whole, saying that more of it was not read", async () => {
    const log = new StepLog(db, target, [], limits);
    await runInto(log, "head -c 100000 /dev/zero | tr '\\0' 'y'; echo; echo next");
    const stored = (await readLogLines(db, stepId)).map((l) => l.line);
    expect(stored).toEqual([`${"y".repeat(100)} [... at least 65436 more characters]`, "next"]);
  });

  it("caps the lines of a long output, counts the rest and keeps its last lines as the tail", async () => {
    const log = new StepLog(db, target, ["hidden"], limits);
    await runInto(log, 'i=0; while [ $i -lt 3000 ]; do echo "line $i hidden"; i=$((i+1)); done');
    const stored = await readLogLines(db, stepId);
    expect(stored).toHaveLength(1_001);
    expect(stored[999]!.line).toBe("line 999 [redacted]");
    expect(stored.at(-1)!.line).toBe(
      "[... 2000 more lines not stored: the step log is capped at 1000 lines ...]",
    );
    expect(log.tail().split("\n")).toEqual(
      [2995, 2996, 2997, 2998, 2999].map((i) => `line ${i} [redacted]`),
    );
  });

  it("keeps the right tail past the cap when each chunk's buffer is read into again", async () => {
    // As runCommand hands on a followed file: every chunk in the same buffer, valid only during
    // the call. The tail spans chunks and streams, so it must be copied, not kept as a view.
    const log = new StepLog(db, target, ["hidden"], limits);
    const buffer = Buffer.alloc(64 * 1024);
    let at = 0;
    for (let chunk = 0; chunk < 1_500; chunk++) {
      const count = 1 + (chunk % 3);
      const text = Array.from({ length: count }, (_, i) => `line ${at + i} hidden\n`).join("");
      at += count;
      const length = buffer.write(text);
      log.writeOutput(chunk % 2 ? "stderr" : "stdout", buffer.subarray(0, length));
      buffer.fill("x");
    }
    await log.close();
    expect(log.tail().split("\n")).toEqual(
      [at - 5, at - 4, at - 3, at - 2, at - 1].map((i) => `line ${i} [redacted]`),
    );
    const stored = await readLogLines(db, stepId);
    expect(stored.at(-1)!.line).toBe(
      `[... ${at - 1_000} more lines not stored: the step log is capped at 1000 lines ...]`,
    );
  });

  it("asks the command's output to wait while the store is behind, then lets it go on", async () => {
    const log = new StepLog(db, target, [], {
      ...limits,
      maxLines: 10_000,
      maxQueuedChars: 20_000,
    });
    const lines = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `line ${from + i}`).join("\n");
    // About 8,000 characters on their way or waiting: not behind.
    expect(log.write("stdout", lines(0, 900))).toBeUndefined();
    // 3,000 lines more at once: behind, until they are written.
    const wait = log.write("stdout", lines(900, 3_000));
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(log.write("stdout", lines(3_900, 1))).toBeUndefined();
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored.map((l) => l.line)).toEqual(lines(0, 3_901).split("\n"));
  });

  it("keeps every line, in order, when lines pile up while a write is on its way", async () => {
    const log = new StepLog(db, target, [], { ...limits, maxLines: 20_000 });
    // Many chunks while the first INSERT is on its way: they pile up for the next ones.
    for (let chunk = 0; chunk < 30; chunk++) {
      log.write(
        chunk % 2 ? "stderr" : "stdout",
        Array.from({ length: 500 }, (_, i) => `chunk ${chunk} line ${i}`).join("\n"),
      );
    }
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored).toHaveLength(15_000);
    expect(stored.map((l) => l.seq)).toEqual(Array.from({ length: 15_000 }, (_, i) => i));
    expect(stored[500]).toMatchObject({ stream: "stderr", line: "chunk 1 line 0" });
    expect(stored.at(-1)!.line).toBe("chunk 29 line 499");
  });

  it("stores nothing once a newer attempt owns the deployment, and says so when closed", async () => {
    const log = new StepLog(db, target, [], limits);
    log.write("stdout", "before the takeover");
    await log.close();
    // Another worker claims the deploy again: this attempt is a zombie from now on.
    await db.deployment.update({
      where: { id: target.deploymentId },
      data: { attempt: { increment: 1 } },
    });
    const zombie = new StepLog(db, target, [], limits);
    zombie.write("stdout", "after the takeover");
    zombie.write("system", "build stopped");
    await expect(zombie.close()).rejects.toBeInstanceOf(StaleAttemptError);
    expect((await readLogLines(db, stepId)).map((l) => l.line)).toEqual(["before the takeover"]);
  });
});
