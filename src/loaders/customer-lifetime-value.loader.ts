import { customerLifetimeValue } from '../db/queries/customer-lifetime-value.query.js';
import { analyticLoader } from './analytic-loader.js';

export const loadCustomerLifetimeValue = analyticLoader<{ storeIds: number[] | null }, number>(
  'customerLifetimeValue',
  ({ db, ids, args }) => customerLifetimeValue(db, { customerIds: ids, storeIds: args.storeIds }),
  () => 0,
);
