import type { Db } from "../../src/store/prisma.js";
import { projectAppUid } from "../../src/store/project-app-uid.js";
import { connectTestDatabase } from "../helpers/databases.js";

// Each project's uid is allocated once, from the base up, and never handed out twice: not
// even when several first deploys ask at the same moment.
let db: Db;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ db, close } = await connectTestDatabase());
});
afterAll(async () => {
  await close?.();
});

it("gives each project its own uid from the base up, the same one every time", async () => {
  const base = 250_000;
  const projects = await Promise.all(
    Array.from({ length: 8 }, (_, i) => db.project.create({ data: { slug: `uid-${i}` } })),
  );
  const first = await Promise.all(projects.map((p) => projectAppUid(db, p.id, base)));
  expect(new Set(first).size).toBe(projects.length);
  expect([...first].sort()).toEqual(Array.from({ length: 8 }, (_, i) => base + i));
  const again = await Promise.all(projects.map((p) => projectAppUid(db, p.id, base)));
  expect(again).toEqual(first);
});
