/**
 * Runs `task` on every element, at most `limit` at a time, starting them in order (a small worker
 * pool: DynamoDB batches within a table's burst, IAM calls across accounts within a function's
 * time). The first failure rejects once the running tasks settle; tasks that must not stop the
 * others catch their own errors.
 * @example await eachLimited(accounts, 8, async (account, i) => { outcomes[i] = await apply(account); })
 */
export const eachLimited = async <T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};
