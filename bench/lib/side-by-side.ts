/**
 * Runs the worker and its baseline `runs` times each, alternating which goes first (ABBA…), so
 * that a machine getting busier or quieter during the run weighs on both alike. Results come
 * back paired: worker[i] ran next to baseline[i].
 */
export async function sideBySide<T>(
  runs: number,
  worker: (run: number) => Promise<T>,
  baseline: (run: number) => Promise<T>,
): Promise<{ worker: T[]; baseline: T[] }> {
  const results: { worker: T[]; baseline: T[] } = { worker: [], baseline: [] };
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      results.worker.push(await worker(run));
      results.baseline.push(await baseline(run));
    } else {
      results.baseline.push(await baseline(run));
      results.worker.push(await worker(run));
    }
  }
  return results;
}
