/**
 * The conversation's details panel (ℹ️): what a chat app shows about one chat.
 *
 * - Groups: members with their role and presence; the owner and group admins
 *   rename the group, add members (user ids) and remove members (with a
 *   confirmation); everyone can leave (confirmed).
 * - Support chats: agents set the status (open, waiting, resolved, closed);
 *   the requester sees who is helping them, by name.
 * - Every chat: archive and unarchive (the caller's own flag), and the
 *   caller's notification level (all, mentions only, nothing).
 *
 * The server decides who may do what (a refused action shows its problem
 * `detail`); the panel only hides controls the caller's role cannot use.
 */
import type { Chat } from '../sdk/src/index';
import type { ChatList } from './chat-list';
import { confirmAction } from './confirm';
import { byTestId, h } from './dom';
import { describeError, type Services } from './services';
import { canManageGroup, canRemoveMember, chatTitle, helpers, isAgent, NOTIFICATION_LEVELS, parseUserIds, SUPPORT_STATUSES, type ChatEntry } from './state';

export class ChatDetails {
  private readonly panel = byTestId('details-panel');
  private readonly toggle = byTestId<HTMLButtonElement>('details-toggle');
  private chatId: string | undefined;
  private error = '';

  constructor(
    private readonly s: Services,
    private readonly chats: ChatList,
    private readonly on: {
      /** The caller left the chat. */
      left: (chatId: string) => void;
      /** The chat changed here (title, status, members, archive flag): the header follows. */
      changed: (chatId: string) => void;
    },
  ) {
    this.toggle.addEventListener('click', () => this.setOpen(this.panel.hidden !== false));
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  setOpen(open: boolean): void {
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-pressed', String(open));
    this.render();
  }

  /** Another chat is shown (or none): the panel follows it. */
  show(chatId: string | undefined): void {
    if (chatId !== this.chatId) this.error = '';
    this.chatId = chatId;
    this.render();
  }

  render(): void {
    const chat = this.chatId ? this.chats.get(this.chatId) : undefined;
    if (!chat || this.panel.hidden) {
      this.panel.replaceChildren();
      return;
    }
    const meId = this.s.me.id;
    const roles = this.s.me.roles;
    this.panel.dataset.chatId = chat.id;
    const sections: (HTMLElement | null)[] = [
      h('header', {}, [
        h('h3', {}, [chat.type === 'group' ? 'Group' : chat.type === 'support' ? 'Support chat' : 'Direct chat']),
        h('button', { type: 'button', class: 'link', 'data-testid': 'details-close', 'aria-label': 'Close details' }, ['✕'], { click: () => this.setOpen(false) }),
      ]),
      this.error ? h('p', { class: 'error', 'data-testid': 'details-error', role: 'alert' }, [this.error]) : null,
      chat.type === 'group' ? this.titleSection(chat, canManageGroup(chat, meId, roles)) : null,
      chat.type === 'support' ? this.supportSection(chat) : null,
      this.notificationSection(chat),
      this.membersSection(chat),
      chat.type === 'group' && canManageGroup(chat, meId, roles) ? this.addSection(chat) : null,
      // SPEC §9: the group's owner and admins (and platform admins) freeze and unfreeze it.
      chat.type === 'group' && canManageGroup(chat, meId, roles)
        ? h('section', { class: 'actions-row' }, [
            h('button', { type: 'button', class: 'secondary', 'data-testid': 'freeze-toggle', 'aria-pressed': String(Boolean(chat.frozen)) }, [chat.frozen ? 'Unfreeze chat' : 'Freeze chat'], {
              click: () => void this.run(async () => this.chats.put((await this.s.api.updateChat(chat.id, { frozen: !chat.frozen })).chat)),
            }),
          ])
        : null,
      h('section', { class: 'actions-row' }, [
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'archive-toggle' }, [chat.archived ? 'Unarchive' : 'Archive'], {
          click: () => void this.run(() => this.archive(chat, !chat.archived)),
        }),
        chat.type === 'group'
          ? h('button', { type: 'button', class: 'danger', 'data-testid': 'leave-chat' }, ['Leave group'], { click: () => void this.run(() => this.leave(chat)) })
          : null,
      ]),
    ];
    this.panel.replaceChildren(...sections.filter((section): section is HTMLElement => section !== null));
  }

  private titleSection(chat: ChatEntry, canRename: boolean): HTMLElement {
    if (!canRename) return h('section', {}, [h('div', { class: 'title' }, [chatTitle(chat, this.s.me.id)])]);
    const input = h('input', { 'data-testid': 'rename-input', value: chat.title ?? '', maxlength: 100, required: true, 'aria-label': 'Group name' });
    return h('section', {}, [
      h('form', { class: 'inline', 'data-testid': 'rename-form' }, [input, h('button', { type: 'submit', 'data-testid': 'rename-submit' }, ['Rename'])], {
        submit: (event) => {
          event.preventDefault();
          const title = input.value.trim();
          if (title && title !== chat.title) void this.run(async () => this.chats.put((await this.s.api.updateChat(chat.id, { title })).chat));
        },
      }),
    ]);
  }

  private supportSection(chat: ChatEntry): HTMLElement {
    const status = chat.status ?? 'open';
    if (!isAgent(this.s.me.roles)) {
      const names = helpers(chat);
      return h('section', { 'data-testid': 'support-helpers' }, [
        h('div', {}, [names.length ? `Helping you: ${names.join(', ')}` : 'Waiting for an agent']),
        h('div', { class: 'muted' }, [`Status: ${status}`]),
      ]);
    }
    return h('section', {}, [
      h('div', { class: 'muted' }, ['Status']),
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'Support status', 'data-testid': 'support-status' },
        SUPPORT_STATUSES.map((value) =>
          h('button', { type: 'button', 'data-testid': `status-${value}`, 'aria-pressed': String(value === status) }, [value], {
            click: () => {
              if (value !== status) void this.run(async () => this.chats.put((await this.s.api.updateChat(chat.id, { status: value })).chat));
            },
          }),
        ),
      ),
    ]);
  }

  /** SPEC §8: the caller's own notification level for this chat. */
  private notificationSection(chat: ChatEntry): HTMLElement {
    const level = chat.notificationLevel ?? 'all';
    return h('section', {}, [
      h('div', { class: 'muted' }, ['Notifications']),
      h(
        'div',
        { class: 'segmented', role: 'group', 'aria-label': 'Notifications', 'data-testid': 'notification-level', 'data-level': level },
        NOTIFICATION_LEVELS.map(({ value, label }) =>
          h('button', { type: 'button', 'data-testid': `notify-${value}`, 'aria-pressed': String(value === level) }, [label], {
            click: () => {
              if (value !== level) void this.run(async () => this.chats.put((await this.s.api.setNotificationLevel(chat.id, { level: value })).chat));
            },
          }),
        ),
      ),
    ]);
  }

  private membersSection(chat: ChatEntry): HTMLElement {
    const meId = this.s.me.id;
    const members = [...(chat.participants ?? [])].sort((a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name));
    return h('section', {}, [
      h('div', { class: 'muted' }, [`${members.length} ${members.length === 1 ? 'member' : 'members'}`]),
      h(
        'ul',
        { class: 'plain members', 'data-testid': 'members' },
        members.map((p) =>
          h('li', { 'data-testid': 'member', 'data-user-id': p.userId, 'data-role': p.role }, [
            h('span', { class: 'dot', 'data-online': String(this.chats.isOnline(p.userId)) }),
            h('span', { class: 'name' }, [p.userId === meId ? `${p.name} (you)` : p.name]),
            p.role !== 'member' ? h('span', { class: 'role' }, [p.role]) : null,
            canRemoveMember(chat, meId, this.s.me.roles, p)
              ? h('button', { type: 'button', class: 'link', 'data-testid': 'member-remove', 'aria-label': `Remove ${p.name}` }, ['Remove'], {
                  click: () => void this.run(() => this.removeMember(chat, p.userId, p.name)),
                })
              : null,
          ]),
        ),
      ),
    ]);
  }

  private addSection(chat: ChatEntry): HTMLElement {
    const input = h('input', { 'data-testid': 'add-members-input', placeholder: 'user ids, comma separated', required: true, 'aria-label': 'Add members' });
    return h('section', {}, [
      h('form', { class: 'inline', 'data-testid': 'add-members-form' }, [input, h('button', { type: 'submit', 'data-testid': 'add-members-submit' }, ['Add'])], {
        submit: (event) => {
          event.preventDefault();
          const userIds = parseUserIds(input.value).filter((id) => !chat.participants?.some((p) => p.userId === id));
          if (userIds.length) void this.run(async () => this.chats.put((await this.s.api.addParticipants(chat.id, { userIds })).chat));
        },
      }),
    ]);
  }

  private async removeMember(chat: Chat, userId: string, name: string): Promise<void> {
    if (!(await confirmAction(`Remove ${name} from ${chat.title ?? 'the group'}? They lose access to the chat at once.`, 'Remove'))) return;
    await this.s.api.removeParticipant(chat.id, userId);
    await this.chats.refresh(chat.id);
  }

  private async leave(chat: Chat): Promise<void> {
    if (!(await confirmAction(`Leave ${chat.title ?? 'the group'}? You will no longer see its messages.`, 'Leave'))) return;
    await this.s.api.removeParticipant(chat.id, this.s.me.id);
    this.chats.remove(chat.id);
    this.on.left(chat.id);
  }

  private async archive(chat: Chat, archived: boolean): Promise<void> {
    const { chat: updated } = await this.s.api.archiveChat(chat.id, { archived });
    this.chats.put(updated);
  }

  /** Runs an action; a refusal shows its problem detail in the panel. */
  private async run(action: () => Promise<unknown>): Promise<void> {
    this.error = '';
    const chatId = this.chatId;
    try {
      await action();
      if (chatId && this.chats.get(chatId)) this.on.changed(chatId);
    } catch (error) {
      console.error(error);
      this.error = describeError(error);
    }
    this.render();
  }
}

function rank(role: string): number {
  return ['owner', 'admin', 'agent', 'member'].indexOf(role);
}
