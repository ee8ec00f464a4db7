import { Authorized, Ctx, FieldResolver, Resolver, Root, Subscription } from 'type-graphql';
import type { AlertService } from '../alerts/alert-service.js';
import type { AlertStatus, AlertTransition } from '../alerts/alert-status.js';
import type { RequestContext } from '../context.js';
import { ServiceUnavailableError } from '../errors.js';
import { ADMINS } from '../schema/auth-checker.js';
import { AlertEvent } from '../schema/types/alert-event.type.js';
import { Alert } from '../schema/types/alert.type.js';
import { Metrics } from '../schema/types/metrics.type.js';

function alertsOf(ctx: RequestContext): AlertService {
  const alerts = ctx.services.alerts;
  if (!alerts) throw new ServiceUnavailableError('Alerts are not evaluated by this process');
  return alerts;
}

/** Metrics.alerts (under the ADMIN Query.metrics) and Subscription.alertEvents (ADMIN, over graphql-ws). */
@Resolver(() => Metrics)
export class AlertsResolver {
  @FieldResolver(() => [Alert], {
    description: 'Every configured alert rule (ALERT_RULES) with its current state; cluster-wide with Redis',
  })
  alerts(@Ctx() ctx: RequestContext): Promise<AlertStatus[]> {
    return alertsOf(ctx).current();
  }

  @Authorized(ADMINS)
  @Subscription(() => AlertEvent, {
    description: 'Every alert state transition, once each, cluster-wide (whichever instance evaluated it); stays open; over graphql-ws',
    subscribe: ({ context }) => alertsOf(context as RequestContext).subscribe(),
  })
  alertEvents(@Root() event: AlertTransition): AlertTransition {
    return event;
  }
}
