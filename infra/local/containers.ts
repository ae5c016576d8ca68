/**
 * One function's containers, as Lambda keeps them: each container is a separate instance of the
 * function's module (its own cold start: config, SDK clients, caches and the logger that carries
 * one request's context and keys) and serves one request at a time; a request that finds every
 * container busy gets a new one. Containers stay for later requests, the most recently used
 * first. Without this, overlapping requests to one function would share one module, and each
 * other's request ids and log keys.
 */
export interface ContainerPool<H> {
  /** Runs `use` on an idle container (a new one when every container is busy), then frees it. */
  run<T>(use: (handler: H) => Promise<T>): Promise<T>;
  /** How many containers have been started. */
  readonly size: number;
}

/**
 * Starts a function's first container at once (a bad cold start fails the runner's start, as it
 * fails a deploy's first request) and the others on demand.
 * @param load starts container `n` (1, 2, …): a fresh instance of the function's module.
 */
export const createContainerPool = async <H>(
  load: (container: number) => Promise<H>,
): Promise<ContainerPool<H>> => {
  const idle: H[] = [await load(1)];
  let size = 1;
  return {
    get size() {
      return size;
    },
    async run(use) {
      let handler = idle.pop();
      if (handler === undefined) {
        size += 1;
        try {
          handler = await load(size);
        } catch (err) {
          size -= 1;
          throw err;
        }
      }
      try {
        return await use(handler);
      } finally {
        idle.push(handler);
      }
    },
  };
};
