/**
 * The admin key lives in sessionStorage: it survives a reload of the tab, dies with the
 * tab, is never in a URL (history, logs, Referer) and never in localStorage (shared by tabs, kept forever).
 */
const KEY_ITEM = 'graphpulse.dashboard.key';
const SCOPE_ITEM = 'graphpulse.dashboard.scope';

export const readKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const keepKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

/** The selector's choice: 'CLUSTER' or an instance id (checked against the live instances before use). */
export const readView = (): string => sessionStorage.getItem(SCOPE_ITEM) ?? 'CLUSTER';
export const keepView = (choice: string): void => sessionStorage.setItem(SCOPE_ITEM, choice);
