/** Runs `p` and answers `"<status> <code>"` of the AppError it throws, or `resolved`. */
import type { AppError } from '../../functions/domain/errors';

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return `${(e as AppError).status} ${(e as AppError).code}`;
  }
  return 'resolved';
}
