import { sideBySide } from "../../bench/lib/side-by-side.js";

it("alternates which side goes first, and pairs each run's results", async () => {
  const order: string[] = [];
  const results = await sideBySide(
    4,
    async (run) => {
      order.push(`worker ${run}`);
      return run * 10;
    },
    async (run) => {
      order.push(`baseline ${run}`);
      return run;
    },
  );
  expect(order).toEqual([
    "worker 0",
    "baseline 0",
    "baseline 1",
    "worker 1",
    "worker 2",
    "baseline 2",
    "baseline 3",
    "worker 3",
  ]);
  expect(results).toEqual({ worker: [0, 10, 20, 30], baseline: [0, 1, 2, 3] });
});
