/**
 * Shapes the analytics queries return. Money is rounded to cents, rates are 0..1.
 * Ranges are inclusive UTC days 'YYYY-MM-DD'. `storeIds: null` means every store.
 */

export interface DayRange {
  from: string;
  to: string;
}

export type Granularity = 'DAY' | 'WEEK' | 'MONTH';

export interface RevenuePointRow {
  /** First day of the period (the ISO week's Monday, the month's first day). */
  period: string;
  revenue: number;
  orders: number;
  items: number;
}

export interface RevenueSeriesRow {
  total: number;
  orders: number;
  items: number;
  /** total / orders, 0 when there are no orders. */
  averageTicket: number;
  /** Every period that overlaps the range, zero-filled, ascending. */
  points: RevenuePointRow[];
}

export interface HourlyTrafficRow {
  /** ISO day of week 1 (Monday) .. 7 (Sunday), UTC. */
  dayOfWeek: number;
  hour: number;
  orders: number;
  revenue: number;
}

export interface ProductPerformanceRow {
  productId: number;
  unitsSold: number;
  revenue: number;
  /** revenue - cost of the units sold. */
  margin: number;
}

export interface CategoryPerformanceRow {
  categoryId: number;
  revenue: number;
  unitsSold: number;
  /** This category's revenue / revenue of all categories over the same stores and range. */
  share: number;
}

export interface CustomerInsightsRow {
  /** Customers whose first completed order at the store falls in the range. */
  newCustomers: number;
  /** Customers with a completed order in the range who had ordered at the store before it. */
  returningCustomers: number;
  /** Share of the range's customers with two or more completed orders in the range. */
  repeatRate: number;
  /** Mean, over the range's customers, of their completed spend at the store up to the range's end. */
  averageLifetimeValue: number;
}

export type InventoryStatus = 'OK' | 'LOW' | 'OUT';

export interface InventoryRow {
  storeId: number;
  productId: number;
  onHand: number;
  reorderPoint: number;
  status: InventoryStatus;
  /** on_hand / mean daily units sold at the store over the last 28 days; null without sales. */
  daysOfCover: number | null;
}
