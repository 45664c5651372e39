/** An in-process async mutex: callers run one at a time, in arrival order. */
export interface Mutex {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Creates a {@link Mutex}. */
export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(fn) {
      const result = tail.then(fn, fn);
      tail = result.catch(() => {});
      return result;
    },
  };
}
