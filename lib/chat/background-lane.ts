/**
 * The lane for the work that follows answers (learning a turn, the summary, the title), so it
 * does not make the next person wait for their first token. A turn's steps before its answer
 * starts are foreground: while any runs, a queued job waits (up to `maxWaitMs`, so a busy server
 * still learns within about that time), and no more than `concurrency` jobs run at once. Under
 * load, JavaScript's single thread then serves the turns people are waiting on first. A job lost
 * with its process is no loss: its turn stays unlearned and the sweep learns it.
 */

export interface BackgroundLane {
  /** Marks latency-critical work as begun; call the returned function once, when it ends. */
  foreground(): () => void;
  /** Runs `job` when the lane lets it, and settles as the job does. */
  run<T>(job: () => Promise<T>): Promise<T>;
}

export interface BackgroundLaneOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** The longest a queued job waits for the foreground to be idle before it starts anyway. */
  maxWaitMs: number;
}

interface Queued {
  start: () => void;
  queuedAt: number;
}

export function createBackgroundLane({ concurrency, maxWaitMs }: BackgroundLaneOptions, now: () => number = performance.now.bind(performance)): BackgroundLane {
  let foreground = 0;
  let running = 0;
  const queue: Queued[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  function pump() {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (running < concurrency && queue.length) {
      const waited = now() - queue[0]!.queuedAt;
      if (foreground > 0 && waited < maxWaitMs) {
        // Woken when the oldest job's wait runs out, if the foreground has not gone idle first.
        timer = setTimeout(pump, maxWaitMs - waited);
        timer.unref?.();
        return;
      }
      running++;
      queue.shift()!.start();
    }
  }

  return {
    foreground() {
      foreground++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        foreground--;
        pump();
      };
    },
    run<T>(job: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          // A job that throws synchronously settles like one that rejects.
          Promise.resolve()
            .then(job)
            .then(resolve, reject)
            .finally(() => {
              running--;
              pump();
            });
        };
        queue.push({ start, queuedAt: now() });
        pump();
      });
    },
  };
}
