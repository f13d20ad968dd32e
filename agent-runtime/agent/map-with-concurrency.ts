/**
 * `Promise.all(items.map(work))` with at most `limit` of them in flight: a model asking for
 * sixteen tool calls at once must not open sixteen connections to one tool. Results keep the
 * items' order; the first rejection rejects the whole, as with `Promise.all`.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
