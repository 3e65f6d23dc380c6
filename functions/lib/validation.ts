/**
 * zod issues → the `errors` member of a 400 problem: `[{path, message}]`,
 * where `path` is like `body.participantIds[0]`.
 */
import type * as z from 'zod';

export function zodIssues(error: z.ZodError, where: string): { path: string; message: string }[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), where),
    message: issue.message,
  }));
}
