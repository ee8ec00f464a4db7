/** Every test file clones this database; it is migrated and seeded once per run. */
export const TEMPLATE_DATABASE = 'graphpulse_test_template';
export const TEST_SEED = { scale: 0.02, seed: 7 } as const;
/** The admin key every test server ensures. */
export const TEST_ADMIN_KEY = 'gp_test_admin_key_0123456789abcdef';

/** Every analytic field of the schema (each is @cached and costs ANALYTIC_COST). */
export const ANALYTIC_FIELDS = [
  'Store.revenue',
  'Store.trafficPatterns',
  'Store.topProducts',
  'Store.customerInsights',
  'Store.inventory',
  'Store.funnel',
  'Product.performance',
  'Product.inventory',
  'Category.performance',
  'Customer.lifetimeValue',
  'Query.revenueMetrics',
  'Query.categoryLeaderboard',
];
