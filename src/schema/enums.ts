import { registerEnumType } from 'type-graphql';

export enum Granularity {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
export enum OrderStatus {
  COMPLETED = 'COMPLETED',
  REFUNDED = 'REFUNDED',
}
export enum Channel {
  IN_STORE = 'IN_STORE',
  ONLINE = 'ONLINE',
  DELIVERY = 'DELIVERY',
}
export enum InventoryStatus {
  ALL = 'ALL',
  OK = 'OK',
  LOW = 'LOW',
  OUT = 'OUT',
}
export enum Role {
  VIEWER = 'VIEWER',
  INGEST = 'INGEST',
  ADMIN = 'ADMIN',
}

registerEnumType(Granularity, { name: 'Granularity', description: 'Bucket size of a revenue series; weeks are ISO weeks starting Monday' });
registerEnumType(OrderStatus, { name: 'OrderStatus', description: 'Revenue counts COMPLETED only' });
registerEnumType(Channel, { name: 'Channel' });
registerEnumType(InventoryStatus, {
  name: 'InventoryStatus',
  description: 'OUT: nothing on hand; LOW: at or below the reorder point; OK: above it',
});
registerEnumType(Role, { name: 'Role', description: 'VIEWER reads analytics, INGEST writes orders and events, ADMIN does everything' });

export enum EventType {
  VISIT = 'VISIT',
  PAGE_VIEW = 'PAGE_VIEW',
  ADD_TO_CART = 'ADD_TO_CART',
  CHECKOUT = 'CHECKOUT',
}
registerEnumType(EventType, { name: 'EventType' });
