// Per-key debouncing: a PlatformIO build writes firmware.elf several times in a burst
// (link, then objcopy/post-actions); we act once, after it has been quiet for `ms`.
export class KeyedDebouncer {
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  constructor(private readonly ms: number) {}

  run(key: string, fn: () => void): void {
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        fn();
      }, this.ms),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
