/**
 * Moderation in the web client (SPEC §9):
 *
 * - `Blocks`: whom the signed-in user blocks (`GET /v1/me/blocks`), toggled
 *   from a sender's name in the conversation (with a confirmation); the
 *   conversation reloads, so the server's placeholders replace the blocked
 *   user's messages ("Message from a blocked user").
 * - `reportDialog`: report a message with a reason (and optional details)
 *   in the page's report `<dialog>`.
 * - `ModerationQueue`: for admins, the open reports, oldest first, each
 *   with the message as reported and "Delete message", "Ban user",
 *   "Dismiss".
 */
import type { ListReportsResponse } from '../sdk/src/index';
import { confirmAction } from './confirm';
import { byTestId, h, shortTime } from './dom';
import { describeError, showError, type Services } from './services';

export const HIDDEN_TEXT = 'Message from a blocked user';

export class Blocks {
  private readonly ids = new Set<string>();

  constructor(private readonly s: Services) {}

  async load(): Promise<void> {
    const { users } = await this.s.api.listBlocks();
    this.ids.clear();
    for (const u of users) this.ids.add(u.id);
  }

  has(userId: string): boolean {
    return this.ids.has(userId);
  }

  /** Blocks or unblocks `userId` after a confirmation; resolves whether anything changed. */
  async toggle(userId: string, name: string): Promise<boolean> {
    const blocked = this.ids.has(userId);
    const question = blocked
      ? `Unblock ${name}? You will see their messages again and can message each other.`
      : `Block ${name}? You will not see their messages, and neither of you can message the other directly.`;
    if (!(await confirmAction(question, blocked ? 'Unblock' : 'Block'))) return false;
    if (blocked) {
      await this.s.api.unblockUser(userId);
      this.ids.delete(userId);
    } else {
      await this.s.api.blockUser(userId);
      this.ids.add(userId);
    }
    return true;
  }
}

const REASONS = ['spam', 'harassment', 'inappropriate', 'other'] as const;

/** Asks for a reason and reports the message; resolves false when cancelled. */
export async function reportDialog(s: Services, chatId: string, messageId: string): Promise<boolean> {
  const dialog = byTestId<HTMLDialogElement>('report-dialog');
  const reason = byTestId<HTMLSelectElement>('report-reason');
  const details = byTestId<HTMLTextAreaElement>('report-details');
  reason.replaceChildren(...REASONS.map((r) => h('option', { value: r }, [r])));
  details.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  const confirmed = await new Promise<boolean>((done) => dialog.addEventListener('close', () => done(dialog.returnValue === 'ok'), { once: true }));
  if (!confirmed) return false;
  const text = details.value.trim();
  await s.api.reportMessage(chatId, messageId, { reason: reason.value as (typeof REASONS)[number], ...(text ? { details: text } : {}) });
  return true;
}

type Report = ListReportsResponse['reports'][number];

/** The admin's moderation queue in the sidebar. */
export class ModerationQueue {
  private readonly element = byTestId<HTMLUListElement>('moderation-list');
  private readonly error = byTestId('moderation-error');

  constructor(private readonly s: Services) {
    byTestId('moderation').hidden = false;
    byTestId('moderation-refresh').addEventListener('click', () => void this.load());
  }

  async load(): Promise<void> {
    try {
      const { reports } = await this.s.api.listReports({ status: 'open', limit: 50 });
      this.render(reports);
    } catch (error) {
      showError(this.error, error);
    }
  }

  private render(reports: Report[]): void {
    this.element.replaceChildren(
      ...(reports.length === 0
        ? [h('li', { class: 'muted', 'data-testid': 'moderation-empty' }, ['No open reports'])]
        : reports.map((r) => {
            const act = (testId: string, label: string, body: { status: 'resolved' | 'dismissed'; action?: 'delete_message' | 'ban_user' }, question: string) =>
              h('button', { type: 'button', class: testId === 'report-dismiss' ? 'secondary' : 'danger', 'data-testid': testId }, [label], {
                click: () => void this.resolve(r, body, question),
              });
            return h('li', { 'data-testid': 'report', 'data-report-id': r.id, 'data-reason': r.reason }, [
              h('div', { class: 'meta' }, [h('strong', {}, [r.reason]), h('span', { class: 'muted' }, [` by ${r.reporterId}, ${shortTime(r.createdAt)}`])]),
              h('blockquote', { 'data-testid': 'report-message' }, [`${r.message.senderId}: ${r.message.content || '(no text)'}`]),
              r.details ? h('p', { class: 'muted' }, [r.details]) : null,
              h('div', { class: 'row' }, [
                act('report-delete', 'Delete message', { status: 'resolved', action: 'delete_message' }, 'Delete this message for everyone?'),
                act('report-ban', 'Ban user', { status: 'resolved', action: 'ban_user' }, `Ban ${r.message.senderId} from the whole service?`),
                act('report-dismiss', 'Dismiss', { status: 'dismissed' }, 'Dismiss this report without action?'),
              ]),
            ]);
          })),
    );
  }

  private async resolve(report: Report, body: { status: 'resolved' | 'dismissed'; action?: 'delete_message' | 'ban_user' }, question: string): Promise<void> {
    if (!(await confirmAction(question, body.action === 'ban_user' ? 'Ban' : body.action === 'delete_message' ? 'Delete' : 'Dismiss'))) return;
    try {
      await this.s.api.resolveReport(report.id, body);
    } catch (error) {
      this.error.textContent = describeError(error);
    }
    await this.load();
  }
}
