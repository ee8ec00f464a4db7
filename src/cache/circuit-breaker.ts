/**
 * Closed → open after `threshold` consecutive failures, or at once through `trip()`;
 * while open every call is refused at once (callers fall back to L1); after `cooldownMs`
 * one probe is let through (half-open) and its outcome closes or re-opens the breaker.
 * The probe is either the next call (`allow()`) or one the owner runs itself
 * (`tryProbe()`), so that no caller's request ever waits on it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  /** Times it opened since it was made (starting open does not count). */
  openings = 0;
  /** ms epoch of the last opening and the last closing; null before the first. */
  lastOpenedAt: number | null = null;
  lastClosedAt: number | null = null;

  constructor(
    private readonly threshold = 3,
    private readonly cooldownMs = 1_000,
    private readonly onChange: (open: boolean) => void = () => {},
    /** Open from the start (e.g. its resource is not connected yet); closed by the first successful probe. */
    startOpen = false,
  ) {
    if (startOpen) this.openedAt = Date.now();
  }

  get isOpen(): boolean {
    return this.openedAt !== null;
  }

  /** May a call go to the protected resource now? While open, the first call after the cooldown is the probe. */
  allow(): boolean {
    return this.openedAt === null || this.tryProbe();
  }

  /**
   * Takes the half-open slot while open: true when the caller is now the one probe (after
   * the cooldown, or at once with `ignoreCooldown`, e.g. when the connection just came back).
   */
  tryProbe(ignoreCooldown = false): boolean {
    if (this.openedAt === null || this.probing) return false;
    if (!ignoreCooldown && Date.now() - this.openedAt < this.cooldownMs) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.openedAt !== null) {
      this.openedAt = null;
      this.lastClosedAt = Date.now();
      this.onChange(false);
    }
  }

  failure(): void {
    this.failures += 1;
    if (this.probing || this.failures >= this.threshold) this.open();
  }

  /** Opens at once, whatever the count: for failures that must not be repeated (a timeout costs its caller the whole wait). */
  trip(): void {
    this.failures += 1;
    this.open();
  }

  private open(): void {
    const wasOpen = this.openedAt !== null;
    this.openedAt = Date.now();
    this.probing = false;
    if (wasOpen) return;
    this.openings += 1;
    this.lastOpenedAt = this.openedAt;
    this.onChange(true);
  }
}
