/** Runs `task(0)` .. `task(n - 1)`, at most `concurrency` at a time. */
export async function pool(
  n: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}
