import type { AlertStatus, AlertTransition } from './alert-status.js';

/** Statuses and transitions as stored in Redis and sent on its channel: dates as epoch ms. */

type Stored<T> = { [K in keyof T]: T[K] extends Date ? number : T[K] extends Date | null ? number | null : T[K] };

const ms = (date: Date | null) => (date === null ? null : date.getTime());
const date = (value: number | null) => (value === null ? null : new Date(value));

export function statusToJson(status: AlertStatus): Stored<AlertStatus> {
  return { ...status, since: ms(status.since), lastFiredAt: ms(status.lastFiredAt), lastResolvedAt: ms(status.lastResolvedAt) };
}

export function statusFromJson(stored: Stored<AlertStatus>): AlertStatus {
  return { ...stored, since: date(stored.since), lastFiredAt: date(stored.lastFiredAt), lastResolvedAt: date(stored.lastResolvedAt) };
}

export function transitionToJson(transition: AlertTransition): Stored<AlertTransition> {
  return { ...transition, at: transition.at.getTime() };
}

export function transitionFromJson(stored: Stored<AlertTransition>): AlertTransition {
  return { ...stored, at: new Date(stored.at) };
}

export type StoredStatus = Stored<AlertStatus>;
export type StoredTransition = Stored<AlertTransition>;
