/**
 * Closed → open after `threshold` consecutive failures; while open every call is
 * refused at once (callers fall back to L1); after `cooldownMs` one probe is let
 * through (half-open) and its outcome closes or re-opens the breaker.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly threshold = 3,
    private readonly cooldownMs = 1_000,
    private readonly onChange: (open: boolean) => void = () => {},
  ) {}

  get isOpen(): boolean {
    return this.openedAt !== null;
  }

  /** May a call go to the protected resource now? */
  allow(): boolean {
    if (this.openedAt === null) return true;
    if (!this.probing && Date.now() - this.openedAt >= this.cooldownMs) {
      this.probing = true;
      return true;
    }
    return false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.openedAt !== null) {
      this.openedAt = null;
      this.onChange(false);
    }
  }

  failure(): void {
    this.failures += 1;
    const wasOpen = this.openedAt !== null;
    if (this.probing || this.failures >= this.threshold) {
      this.openedAt = Date.now();
      this.probing = false;
      if (!wasOpen) this.onChange(true);
    }
  }
}
