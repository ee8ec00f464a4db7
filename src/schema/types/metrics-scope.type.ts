import { registerEnumType } from 'type-graphql';

export enum MetricsScope {
  INSTANCE = 'INSTANCE',
  CLUSTER = 'CLUSTER',
}
registerEnumType(MetricsScope, {
  name: 'MetricsScope',
  description:
    'INSTANCE: the process answering. CLUSTER: every live instance merged through Redis (counters summed, percentiles from merged HDR histograms); without REDIS_URL the same as INSTANCE',
});
