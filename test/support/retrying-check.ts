/**
 * A wait's check lists thousands of objects from a loaded plane; one failed list (a timeout) must
 * not end a run of half an hour: it is logged and the wait goes on.
 */
export function retryingCheck(check: () => Promise<boolean>): () => Promise<boolean> {
  return async () => {
    try {
      return await check();
    } catch (error) {
      console.log(`check failed, trying again: ${(error as Error).message}`);
      return false;
    }
  };
}
