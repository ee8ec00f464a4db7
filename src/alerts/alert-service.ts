import type { Logger } from '../logger.js';
import { ThrottledWarn } from '../logger-throttle.js';
import type { AlertCluster } from './alert-cluster.js';
import { evaluateAlerts, initialStatus, sameRule } from './alert-engine.js';
import { AlertEventFeed } from './alert-event-feed.js';
import type { AlertRule } from './alert-rules.js';
import type { AlertStatus, AlertTransition } from './alert-status.js';
import type { AlertInputPoint } from './alert-values.js';
import { notifiesWebhook, webhookBodyOf, WebhookOutbox, type AlertWebhookJob } from './alert-webhook.js';

/** The history the rules read (src/metrics/history's MetricsHistory fits it). */
export interface AlertHistory {
  /** degraded: a CLUSTER series that holds this instance only, because Redis could not be read. */
  series(
    scope: 'INSTANCE' | 'CLUSTER',
    minutes: number,
    stepSeconds: number,
  ): Promise<{ points: readonly AlertInputPoint[]; degraded: boolean }>;
}

export interface AlertServiceOptions {
  rules: readonly AlertRule[];
  /** ALERT_EVALUATION_MS */
  periodMs: number;
  /** Read at each evaluation; undefined (no history in this process) is no data. */
  history: () => AlertHistory | undefined;
  /** null without Redis: everything stays in this instance. */
  cluster: AlertCluster | null;
  /** This instance's id: the lease holder's name, the webhook's `instance`. */
  instance: string;
  /** ALERT_WEBHOOK_URL; undefined: no webhook. */
  webhookUrl: string | undefined;
  /** Queues one webhook POST (a sendAlertWebhook job). */
  enqueueWebhook: (job: AlertWebhookJob) => Promise<unknown>;
  logger: Logger;
}

/** Points read per evaluation: failed_jobs_5m needs 5 minutes, plus the step under way. */
const WINDOW_MINUTES = 6;
const STEP_SECONDS = 10;
const WARN_EVERY_MS = 10_000;

type Role = 'alone' | 'holder' | 'fallback';

/**
 * Evaluates the alert rules every period and tells about each transition: a log line,
 * the alertEvents subscribers, the webhook. With Redis, one instance at a time evaluates
 * (the lease holder), over the cluster history; it stores the statuses in Redis (every
 * instance's Metrics.alerts reads them) and publishes each transition once on a channel
 * (every instance's subscribers get it). An instance that cannot reach Redis evaluates
 * its own history instead, in memory, and says so in the log, until Redis answers again.
 */
export class AlertService {
  readonly feed = new AlertEventFeed();
  private statuses = new Map<string, AlertStatus>();
  private role: Role | 'follower';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The last evaluation was skipped over a degraded cluster history (logged once per streak). */
  private skippingDegraded = false;
  private readonly warnings: ThrottledWarn;
  /** Webhook bodies whose job could not be queued (Redis down): queued again at each evaluation. */
  readonly outbox: WebhookOutbox;

  constructor(private readonly options: AlertServiceOptions) {
    this.role = options.cluster ? 'follower' : 'alone';
    this.warnings = new ThrottledWarn(options.logger, WARN_EVERY_MS);
    this.outbox = new WebhookOutbox(options.enqueueWebhook, options.logger);
  }

  get rules(): readonly AlertRule[] {
    return this.options.rules;
  }

  /** Whether this instance evaluates now (always without Redis; the lease holder with it, or alone while Redis is unreachable). */
  get evaluating(): boolean {
    return this.role !== 'follower';
  }

  /** alone: no Redis; holder / follower: of the cluster's lease; fallback: Redis unreachable, evaluating this instance alone. */
  get mode(): Role | 'follower' {
    return this.role;
  }

  /** Starts the subscription to other instances' transitions and the periodic evaluation (the first one at once). */
  async start(): Promise<void> {
    if (this.options.cluster) {
      // Start never waits on a dead Redis: the subscriber connects and subscribes in the background.
      this.options.cluster
        .listen((transition) => this.feed.deliver(transition))
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'alert events channel: subscription failed'));
    }
    this.schedule(0);
  }

  /** Stops evaluating, ends the open alertEvents streams and gives the lease up, so another instance takes over at its next evaluation. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    // Their subscriptions complete instead of waiting forever on a service that delivers nothing more.
    this.feed.closeAll();
    if (this.role === 'holder') {
      await this.options.cluster?.lease.release().catch((error: unknown) => this.warn(error, 'alert lease not released; it expires'));
    }
  }

  /** One evaluation now (the timer's work; public for tests). Never overlaps another; never throws (failures are logged). */
  evaluateNow(): Promise<void> {
    this.running ??= this.evaluate()
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'alert evaluation failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Every rule with its current state (Metrics.alerts): the cluster's, read from Redis, on an instance that does not evaluate. */
  async current(): Promise<AlertStatus[]> {
    const cluster = this.options.cluster;
    if (cluster && this.role === 'follower') {
      try {
        const stored = await cluster.readStatuses();
        if (stored) return this.forRules(new Map(stored.map((s) => [s.name, s])));
      } catch (error) {
        this.warn(error, 'alert states not readable from Redis: answering with the last ones this instance knows');
      }
    }
    return this.forRules(this.statuses);
  }

  subscribe(): AsyncIterableIterator<AlertTransition> {
    return this.feed.subscribe();
  }

  private forRules(statuses: ReadonlyMap<string, AlertStatus>): AlertStatus[] {
    return this.options.rules.map((rule) => {
      const status = statuses.get(rule.name);
      return status && sameRule(status, rule) ? status : initialStatus(rule);
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.evaluateNow().finally(() => this.schedule(this.options.periodMs));
    }, delayMs);
    this.timer.unref();
  }

  private async evaluate(): Promise<void> {
    const { cluster, history, rules } = this.options;
    const now = new Date();
    // Webhooks that could not be queued at an earlier evaluation go first (in order), whatever this instance's role now.
    await this.outbox.flush();
    const role = await this.decideRole();
    if (role === 'follower') {
      // Kept current so that taking over, or evaluating alone while Redis is away, starts from the cluster's states.
      const stored = await cluster?.readStatuses().catch((error: unknown) => this.warn(error, 'alert states not readable from Redis'));
      if (stored) this.statuses = new Map(stored.map((s) => [s.name, s]));
      return;
    }
    const series = await history()?.series(role === 'holder' ? 'CLUSTER' : 'INSTANCE', WINDOW_MINUTES, STEP_SECONDS);
    if (series?.degraded) {
      // The points hold this instance only: read as the cluster, they would resolve alerts the others still show. Wait for Redis.
      if (!this.skippingDegraded) {
        this.options.logger.warn('alerts not evaluated: the cluster history could not be read from Redis; states kept until it can');
      }
      this.skippingDegraded = true;
      return;
    }
    if (this.skippingDegraded) this.options.logger.info('cluster history readable again: alerts evaluated');
    this.skippingDegraded = false;
    const { statuses, transitions } = evaluateAlerts(rules, this.statuses, series?.points ?? [], now);
    if (role === 'holder' && cluster) {
      const stored = await cluster.writeStatusesIfHolder(statuses).catch((error: unknown) => {
        // Redis failed (no successor can take the lease through it either): the transitions are told, and the next
        // evaluation finds out whether this instance still holds the lease or evaluates alone.
        this.warn(error, 'alert states not stored in Redis');
        return true;
      });
      if (!stored) {
        // Another instance took the lease while this one read the history: it evaluates and announces; this one follows.
        this.role = 'follower';
        this.options.logger.info(
          { instance: this.options.instance, transitions: transitions.length },
          'alert lease lost during the evaluation: its results are dropped, the new holder evaluates',
        );
        return;
      }
    }
    this.statuses = new Map(statuses.map((s) => [s.name, s]));
    for (const transition of transitions) this.announce(transition, role === 'holder');
  }

  /** Takes or renews the lease; a Redis failure makes this instance evaluate alone until Redis answers again. */
  private async decideRole(): Promise<Role | 'follower'> {
    const cluster = this.options.cluster;
    if (!cluster) return 'alone';
    const before = this.role;
    let held: boolean | null;
    try {
      held = await cluster.lease.hold();
    } catch (error) {
      if (before !== 'fallback') {
        this.options.logger.warn(
          { err: error },
          'Redis unreachable: alerts are evaluated on this instance alone, in memory, until it answers',
        );
      }
      held = null;
    }
    this.role = held === null ? 'fallback' : held ? 'holder' : 'follower';
    if (before === 'fallback' && this.role !== 'fallback')
      this.options.logger.info({ role: this.role }, 'Redis reachable again: alerts evaluated cluster-wide');
    if (this.role === 'holder' && before !== 'holder') {
      this.options.logger.info({ instance: this.options.instance }, 'this instance now evaluates the alerts of the cluster (lease taken)');
      // Continue from the last holder's states: an alert it saw FIRING stays FIRING instead of firing again.
      const stored = await cluster.readStatuses().catch((error: unknown) => this.warn(error, 'alert states not readable from Redis'));
      if (stored) this.statuses = new Map(stored.map((s) => [s.name, s]));
    }
    return this.role;
  }

  /** The log line, this instance's subscribers, the other instances (holder only) and the webhook. */
  private announce(transition: AlertTransition, publish: boolean): void {
    const { logger, cluster, webhookUrl, instance } = this.options;
    const fields = {
      alert: transition.name,
      metric: transition.metric,
      state: transition.state,
      previousState: transition.previousState,
      value: transition.value,
      threshold: transition.threshold,
    };
    const line = `alert ${transition.name} ${transition.state}: ${transition.summary}`;
    if (transition.state === 'FIRING') logger.warn(fields, line);
    else logger.info(fields, line);
    this.feed.deliver(transition);
    if (publish && cluster) {
      cluster.publish(transition).catch((error: unknown) => this.warn(error, 'alert transition not published to other instances'));
    }
    if (webhookUrl && notifiesWebhook(transition)) {
      // Not awaited: a queue backend that is slow to answer must not hold the next evaluation.
      void this.outbox.send({ url: webhookUrl, body: webhookBodyOf(transition, instance) });
    }
  }

  /** Logs each distinct message at most once per WARN_EVERY_MS; null, to stand for the value a failed read did not give. */
  private warn(error: unknown, message: string): null {
    this.warnings.warn(error, message);
    return null;
  }
}
