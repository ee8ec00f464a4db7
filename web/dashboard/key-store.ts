/**
 * The admin key lives in sessionStorage: it survives a reload of the tab, dies with the
 * tab, is never in a URL (history, logs, Referer) and never in localStorage (shared by tabs, kept forever).
 */
const KEY_ITEM = 'graphpulse.dashboard.key';
const SCOPE_ITEM = 'graphpulse.dashboard.scope';

export const readKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const keepKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

export const readScope = (): 'INSTANCE' | 'CLUSTER' => (sessionStorage.getItem(SCOPE_ITEM) === 'INSTANCE' ? 'INSTANCE' : 'CLUSTER');
export const keepScope = (scope: 'INSTANCE' | 'CLUSTER'): void => sessionStorage.setItem(SCOPE_ITEM, scope);
