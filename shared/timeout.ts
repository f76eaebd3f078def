/**
 * Rejects with "`what` timed out after `ms` ms" unless `work` settles first. A late rejection of
 * `work` is swallowed (it would otherwise be unhandled). Runs in Node and workerd.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const message = `timed out after ${ms} ms`;
    timer = setTimeout(() => reject(new Error(what ? `${what} ${message}` : message)), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
