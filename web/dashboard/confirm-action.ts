import { describeError } from './panel.js';

/**
 * Every action that changes the server asks first (window.confirm), then reports in
 * `output` what the server answered or why it refused.
 */
export async function confirmThen(question: string, output: HTMLElement, action: () => Promise<string>): Promise<boolean> {
  if (!window.confirm(question)) return false;
  output.className = 'action-result';
  output.textContent = 'Working…';
  try {
    output.textContent = await action();
    return true;
  } catch (error) {
    output.className = 'action-result unavailable';
    output.textContent = `Refused: ${describeError(error)}`;
    return false;
  }
}
