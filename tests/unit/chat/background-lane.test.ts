import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackgroundLane } from '@/lib/chat/background-lane';

/** A job that records its start and finishes when told to. */
function job(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    run: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

/** Lets queued promise callbacks run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('the lane for work after answers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs a job at once when no turn is waiting for its answer, and no more than its concurrency', async () => {
    const lane = createBackgroundLane({ concurrency: 2, maxWaitMs: 1000 }, () => Date.now());
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => job(started, name));
    const results = [a!, b!, c!].map((j) => lane.run(j.run));
    await settle();
    expect(started).toEqual(['a', 'b']);
    a!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    b!.finish();
    c!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
  });

  it('holds jobs while a turn is before its answer, and starts them when it ends', async () => {
    const lane = createBackgroundLane({ concurrency: 2, maxWaitMs: 1000 }, () => Date.now());
    const started: string[] = [];
    const end = lane.foreground();
    const a = job(started, 'a');
    const result = lane.run(a.run);
    await vi.advanceTimersByTimeAsync(500);
    expect(started).toEqual([]);
    end();
    end(); // ending twice counts once
    await settle();
    expect(started).toEqual(['a']);
    a.finish();
    expect(await result).toBe('a');
  });

  it('starts a held job anyway once it has waited maxWaitMs, so a busy server still learns', async () => {
    const lane = createBackgroundLane({ concurrency: 1, maxWaitMs: 1000 }, () => Date.now());
    const started: string[] = [];
    lane.foreground(); // a turn that never ends
    const [a, b] = ['a', 'b'].map((name) => job(started, name));
    void lane.run(a!.run);
    await vi.advanceTimersByTimeAsync(600);
    void lane.run(b!.run);
    await vi.advanceTimersByTimeAsync(399);
    expect(started).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(['a']);
    a!.finish();
    // Room, but the turn still runs: b waits out its own 1,000 ms (queued at 600).
    await vi.advanceTimersByTimeAsync(599);
    expect(started).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(['a', 'b']);
    b!.finish();
  });

  it('passes on a failed job and keeps going', async () => {
    const lane = createBackgroundLane({ concurrency: 1, maxWaitMs: 1000 }, () => Date.now());
    const failing = lane.run(() => {
      throw new Error('extraction failed');
    });
    await expect(failing).rejects.toThrow('extraction failed');
    expect(await lane.run(async () => 'next')).toBe('next');
  });
});
