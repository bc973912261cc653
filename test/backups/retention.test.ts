import { backupsToPrune } from "../../src/backups/retention.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 24 * 3600 * 1000);
const backup = (id: string, projectId: string, days: number) => ({
  id,
  projectId,
  createdAt: daysAgo(days),
});

describe("backup retention", () => {
  const backups = [
    backup("a-30", "a", 30),
    backup("a-1", "a", 1),
    backup("a-20", "a", 20),
    backup("a-10", "a", 10),
    backup("b-40", "b", 40),
  ];

  it("keeps a project's newest N and anything younger than D days, per project", () => {
    expect(backupsToPrune(backups, { keep: 2, keepDays: 7 }, NOW).sort()).toEqual(["a-20", "a-30"]);
    expect(backupsToPrune(backups, { keep: 1, keepDays: 15 }, NOW).sort()).toEqual([
      "a-20",
      "a-30",
    ]);
    expect(backupsToPrune(backups, { keep: 1, keepDays: 25 }, NOW)).toEqual(["a-30"]);
  });

  it("keeps everything when either rule covers it, and prunes all but the young with keep 0", () => {
    expect(backupsToPrune(backups, { keep: 10, keepDays: 0 }, NOW)).toEqual([]);
    expect(backupsToPrune(backups, { keep: 0, keepDays: 5 }, NOW).sort()).toEqual([
      "a-10",
      "a-20",
      "a-30",
      "b-40",
    ]);
  });
});
