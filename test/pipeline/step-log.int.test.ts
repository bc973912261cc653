import { StepLog } from "../../src/pipeline/step-log.js";
import { createDeployment } from "../../src/store/deployments.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { createTestDatabase } from "../helpers/databases.js";

let db: Db;
let drop: () => Promise<void>;
let stepId: string;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = connectDb(database.url);
});
afterAll(async () => {
  await db.$disconnect();
  await drop();
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
});

const limits = { maxLines: 1_000, maxLineLength: 100, tailLines: 5 };

describe("StepLog", () => {
  it("stores every line in order with its stream", async () => {
    const log = new StepLog(db, stepId, [], limits);
    for (let i = 0; i < 600; i++) log.write(i % 2 ? "stderr" : "stdout", `line ${i}`);
    await log.close();
    const stored = await readLogLines(db, stepId);
    expect(stored.map((l) => l.line)).toEqual(Array.from({ length: 600 }, (_, i) => `line ${i}`));
    expect(stored.map((l) => l.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(stored[1]!.stream).toBe("stderr");
  });

  it("caps the stored lines per step and says how many it dropped", async () => {
    const log = new StepLog(db, stepId, [], limits);
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
    const log = new StepLog(db, stepId, [secret], limits);
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
    const log = new StepLog(db, stepId, [], limits);
    log.write("stdout", "y".repeat(10_000));
    log.write("stdout", "a\u0000b");
    await log.close();
    const [long, nul] = (await readLogLines(db, stepId)).map((l) => l.line);
    expect(long).toBe(`${"y".repeat(100)} [... 9900 more characters]`);
    expect(nul).toBe("ab");
  });
});
