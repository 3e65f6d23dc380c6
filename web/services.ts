/**
 * What every part of the signed-in page shares: the SDK's HTTP client and
 * socket, and the signed-in user.
 */
import { ChatApiError, ChatSocketError, type ChatClient, type ChatSocket, type User } from '../sdk/src/index';

export interface Services {
  api: ChatClient;
  socket: ChatSocket;
  me: User;
}

/** One line for the user: the API's problem `detail` when there is one (e.g. "Unknown user."), else the error message. */
export function describeError(error: unknown): string {
  if (error instanceof ChatApiError) return error.detail ?? error.title;
  if (error instanceof ChatSocketError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Shows `error` in an alert line for 8 s (a newer error replaces it); also logs it with its stack. */
export function showError(target: HTMLElement, error: unknown): void {
  console.error(error);
  target.textContent = describeError(error);
  const shown = target.textContent;
  setTimeout(() => {
    if (target.textContent === shown) target.textContent = '';
  }, 8_000);
}
