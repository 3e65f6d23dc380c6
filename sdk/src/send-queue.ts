/**
 * Per-key serial execution: the sends of one chat run one after another in
 * the order they were queued; different chats run concurrently.
 *
 * Why not pipeline several sends of one chat: the server gives a message its
 * seq when its invocation runs, and neither API Gateway (WebSocket or HTTP)
 * nor the local gateway runs one connection's frames in order — each frame
 * is its own Lambda invocation, concurrent with the others. Two frames sent
 * back to back can therefore be stored in either order. Waiting for the
 * first answer before sending the next is the only client-side guarantee;
 * it costs one round trip per message within a chat, and nothing across
 * chats.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /**
   * Runs `task` after every task queued earlier under `key` has settled
   * (resolved or failed); at once, synchronously, when nothing is queued
   * under `key` (so a lone send leaves without a task-queue hop).
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(task, task) : invoke(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

function invoke<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
