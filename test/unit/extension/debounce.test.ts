import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedDebouncer } from '../../../src/extension/debounce';

describe('KeyedDebouncer (build bursts → one refresh per firmware.elf)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once after the key has been quiet, separately per key', () => {
    const d = new KeyedDebouncer(400);
    const calls: string[] = [];
    for (let i = 0; i < 5; i++) {
      d.run('env1', () => calls.push('env1'));
      vi.advanceTimersByTime(100);
    }
    d.run('env2', () => calls.push('env2'));
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(399);
    expect(calls).toEqual(['env1']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['env1', 'env2']);
  });

  it('dispose cancels pending runs', () => {
    const d = new KeyedDebouncer(100);
    const fn = vi.fn();
    d.run('k', fn);
    d.dispose();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
  });
});
