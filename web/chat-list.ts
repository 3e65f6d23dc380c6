/**
 * The sidebar's chat list (latest activity first, unread badges, presence
 * dots; "Archived" switches to the caller's archived chats) and, for
 * support agents, the support queue with "Claim", by requester name.
 *
 * The list is the page's record of the caller's chats: the conversation view
 * reads titles, participant names and presence from it.
 */
import type { Chat, Message } from '../sdk/src/index';
import { byTestId, h, shortTime } from './dom';
import { describeError, showError, type Services } from './services';
import { chatTitle, listPreview, peerOf, sortChats, withChangedMessage, withMessage, type ChatEntry } from './state';

/** Chats loaded at start (the API's maximum page). Older chats appear as soon as they have activity. */
const LIST_LIMIT = 100;

export class ChatList {
  private readonly chats = new Map<string, ChatEntry>();
  /** Presence by user id: participants' `online` when fetched, then `presence` events. */
  private readonly online = new Map<string, boolean>();
  private readonly element = byTestId<HTMLUListElement>('chat-list');
  private readonly error = byTestId('sidebar-error');
  /** The chat shown in the conversation pane. */
  activeId: string | undefined;
  /** Whether the list shows archived chats instead of the others. */
  private showArchived = false;
  private readonly archivedToggle = byTestId<HTMLButtonElement>('show-archived');

  constructor(
    private readonly s: Services,
    private readonly onSelect: (chatId: string) => void,
  ) {
    this.archivedToggle.addEventListener('click', () => void this.setShowArchived(!this.showArchived));
  }

  /** Switches between the active and the archived chats; archived ones are fetched when first shown (`archived=true`). */
  async setShowArchived(show: boolean): Promise<void> {
    this.showArchived = show;
    this.archivedToggle.setAttribute('aria-pressed', String(show));
    this.archivedToggle.textContent = show ? 'Back to chats' : 'Archived';
    byTestId('chat-list-heading').textContent = show ? 'Archived chats' : 'Chats';
    this.render();
    if (!show) return;
    try {
      const { chats } = await this.s.api.listChats({ archived: 'true', limit: LIST_LIMIT });
      for (const chat of chats) this.put({ ...chat, participants: this.chats.get(chat.id)?.participants });
      await Promise.all(chats.filter((c) => c.type !== 'group' && !this.chats.get(c.id)?.participants).map((c) => this.refresh(c.id).catch(() => undefined)));
    } catch (error) {
      showError(this.error, error);
    }
  }

  /**
   * Loads the first page of chats and the participants of direct and
   * support chats (titles and presence dots need them; lists omit them), and
   * tells the socket to catch these chats up after a reconnect.
   */
  async load(): Promise<void> {
    const { chats } = await this.s.api.listChats({ limit: LIST_LIMIT });
    // A chat already here came from an event during the request, which is newer than this page.
    for (const chat of chats) if (!this.chats.has(chat.id)) this.chats.set(chat.id, chat);
    await Promise.all(chats.filter((c) => c.type !== 'group').map((c) => this.refresh(c.id).catch((e: unknown) => showError(this.error, e))));
    for (const chat of chats) this.s.socket.track(chat.id, chat.lastSeq);
    this.render();
  }

  get(chatId: string): ChatEntry | undefined {
    return this.chats.get(chatId);
  }

  /** Re-reads one chat (with participants) and keeps it; resolves with it. Throws the API error (404 once the caller left it). */
  async refresh(chatId: string): Promise<ChatEntry> {
    const { chat } = await this.s.api.getChat(chatId);
    this.put(chat);
    return chat;
  }

  /**
   * Adds or updates a chat. Chats from `chat.updated` events lack the
   * caller's fields (unread count, read marker, archived flag) and
   * participants: those keep their known values.
   */
  put(chat: Partial<Chat> & Pick<Chat, 'id'>): void {
    const known = this.chats.get(chat.id);
    const merged = { ...known, ...chat, participants: chat.participants ?? known?.participants } as ChatEntry;
    // Reads and chat.updated carry the preview without the deleted flag: a delete we saw stays a delete.
    if (known?.lastMessage?.deleted && merged.lastMessage?.id === known.lastMessage.id) merged.lastMessage = known.lastMessage;
    merged.unreadCount ??= 0;
    merged.lastReadSeq ??= 0;
    merged.archived ??= false;
    for (const p of chat.participants ?? []) this.online.set(p.userId, p.online);
    this.chats.set(chat.id, merged);
    if (!known) this.s.socket.track(chat.id, merged.lastSeq);
    this.render();
  }

  /** Adds a chat we only know the id of (a message or an event for a chat not in the list yet). */
  async add(chatId: string): Promise<void> {
    if (this.chats.has(chatId)) return;
    await this.refresh(chatId).catch((error: unknown) => showError(this.error, error));
  }

  remove(chatId: string): void {
    this.chats.delete(chatId);
    this.s.socket.untrack(chatId);
    this.render();
  }

  /** A message arrived (live, caught up, or our own ack). `viewing`: its chat is open and visible. */
  onMessage(chatId: string, message: Message, viewing: boolean): void {
    const chat = this.chats.get(chatId);
    if (!chat) {
      void this.add(chatId);
      return;
    }
    const next = withMessage(chat, message, this.s.me.id, viewing);
    if (next !== chat) {
      this.chats.set(chatId, next);
      this.render();
    }
  }

  /** A message was edited or deleted (live or synced): the preview follows when it is the chat's last one. */
  onMessageChanged(chatId: string, change: Message | { id: string; deleted: true }): void {
    const chat = this.chats.get(chatId);
    if (!chat) return;
    const next = withChangedMessage(chat, change);
    if (next === chat) return;
    this.chats.set(chatId, next);
    this.render();
  }

  /** The caller's read marker moved (here or on another device). */
  onRead(chatId: string, lastReadSeq: number, unreadCount?: number): void {
    const chat = this.chats.get(chatId);
    if (!chat || lastReadSeq < chat.lastReadSeq) return;
    // Unread counts only others' messages; without the server's count, reading up to lastSeq is the one case known to be 0.
    const unread = unreadCount ?? (lastReadSeq >= chat.lastSeq ? 0 : chat.unreadCount);
    // Mentions above the new marker are not known here; reading to the end clears them, a partial read keeps the server's count until the next refresh.
    const unreadMentions = lastReadSeq >= chat.lastSeq ? 0 : chat.unreadMentions;
    this.chats.set(chatId, { ...chat, lastReadSeq, unreadCount: unread, unreadMentions });
    this.render();
  }

  setOnline(userId: string, online: boolean): void {
    this.online.set(userId, online);
    this.render();
  }

  isOnline(userId: string): boolean {
    return this.online.get(userId) ?? false;
  }

  /** Display name of a participant of `chatId`; the id when unknown (e.g. someone who left). */
  nameOf(chatId: string, userId: string): string {
    if (userId === this.s.me.id) return 'You';
    return this.chats.get(chatId)?.participants?.find((p) => p.userId === userId)?.name ?? userId;
  }

  render(): void {
    const meId = this.s.me.id;
    const items = sortChats(this.chats.values())
      .filter((chat) => chat.archived === this.showArchived)
      .map((chat) => {
        const peer = peerOf(chat, meId);
        const preview = chat.lastMessage ? `${this.nameOf(chat.id, chat.lastMessage.senderId)}: ${listPreview(chat.lastMessage)}` : 'No messages yet';
        return h(
          'li',
          { 'data-testid': 'chat-item', 'data-chat-id': chat.id, 'data-type': chat.type, 'aria-current': chat.id === this.activeId ? 'true' : 'false', tabindex: 0 },
          [
            peer ? h('span', { class: 'dot', 'data-testid': 'presence-dot', 'data-online': String(this.isOnline(peer.userId)), title: this.isOnline(peer.userId) ? 'online' : 'offline' }) : null,
            h('div', { class: 'body' }, [
              h('div', { class: 'title', 'data-testid': 'chat-title' }, [chatTitle(chat, meId)]),
              h('div', { class: 'preview muted', 'data-testid': 'chat-preview', 'data-deleted': chat.lastMessage?.deleted ? 'true' : undefined }, [preview]),
            ]),
            h('span', { class: 'muted' }, [shortTime(chat.lastMessage?.createdAt ?? chat.updatedAt)]),
            (chat.unreadMentions ?? 0) > 0
              ? h('span', { class: 'badge mention', 'data-testid': 'mention-badge', 'aria-label': `${chat.unreadMentions} unread mentions` }, [`@${chat.unreadMentions}`])
              : null,
            chat.unreadCount > 0 ? h('span', { class: 'badge', 'data-testid': 'unread-badge', 'aria-label': `${chat.unreadCount} unread` }, [String(chat.unreadCount)]) : null,
          ],
          {
            click: () => this.onSelect(chat.id),
            keydown: (event) => {
              if (event.key === 'Enter') this.onSelect(chat.id);
            },
          },
        );
      });
    this.element.replaceChildren(...(items.length ? items : [h('li', { class: 'muted empty', 'data-testid': 'chat-list-empty' }, [this.showArchived ? 'No archived chats.' : 'No chats yet: start one above.'])]));
  }
}

/**
 * The support queue for agents: open chats nobody has claimed, and the
 * agent's own. "Claim" assigns a chat to the caller (SPEC: a support agent
 * may claim an unassigned chat), which adds it to their chat list.
 */
export class SupportQueue {
  private readonly element = byTestId<HTMLUListElement>('queue-list');
  private readonly error = byTestId('sidebar-error');
  private loading: Promise<void> | undefined;
  /** Display names of requesters by id (`GET /v1/users/{id}`), so the queue shows names, not ids. */
  private readonly names = new Map<string, Promise<string>>();

  constructor(
    private readonly s: Services,
    private readonly list: ChatList,
    private readonly onSelect: (chatId: string) => void,
  ) {
    byTestId('support-queue').hidden = false;
    byTestId('queue-refresh').addEventListener('click', () => void this.load());
  }

  /** Reloads both views of the queue; concurrent calls share one load. */
  load(): Promise<void> {
    this.loading ??= this.fetch()
      .catch((error: unknown) => showError(this.error, error))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async fetch(): Promise<void> {
    const [unassigned, mine] = await Promise.all([
      this.s.api.supportQueue({ unassigned: 'true', limit: 50 }),
      this.s.api.supportQueue({ assigneeId: this.s.me.id, limit: 50 }),
    ]);
    const chats = [...unassigned.chats, ...mine.chats].filter((chat) => chat.status !== 'closed');
    const names = await Promise.all(chats.map((chat) => this.nameOf(chat.createdBy)));
    this.element.replaceChildren(...(chats.length ? chats.map((chat, i) => this.item(chat, names[i]!)) : [h('li', { class: 'muted' }, ['Nothing waiting.'])]));
  }

  /** A requester's display name; the id if the directory cannot say. */
  private nameOf(userId: string): Promise<string> {
    let name = this.names.get(userId);
    if (!name) {
      name = this.s.api.getUser(userId).then(
        ({ user }) => user.name,
        () => {
          this.names.delete(userId); // try again next time
          return userId;
        },
      );
      this.names.set(userId, name);
    }
    return name;
  }

  private item(chat: Chat, requester: string): HTMLLIElement {
    const mine = chat.assigneeId === this.s.me.id;
    const action = mine
      ? h('button', { type: 'button', class: 'link', 'data-testid': 'queue-open' }, ['Open'], { click: () => this.onSelect(chat.id) })
      : h('button', { type: 'button', 'data-testid': 'queue-claim' }, ['Claim'], { click: (event) => void this.claim(chat.id, event.currentTarget as HTMLButtonElement) });
    return h('li', { 'data-testid': 'queue-item', 'data-chat-id': chat.id, 'data-assigned': mine ? 'me' : 'nobody' }, [
      h('div', { class: 'body' }, [
        h('div', {}, [chat.title ?? 'Support']),
        h('div', { class: 'muted', 'data-testid': 'queue-requester', title: chat.createdBy }, [`${requester} · ${chat.status ?? 'open'} · ${shortTime(chat.createdAt)}`]),
      ]),
      action,
    ]);
  }

  private async claim(chatId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const { chat } = await this.s.api.assignChat(chatId, { agentId: this.s.me.id });
      this.list.put(chat);
      this.onSelect(chat.id);
    } catch (error) {
      // Someone else claimed it first (403) or it was closed: the fresh queue shows why it is gone.
      this.error.textContent = `Could not claim: ${describeError(error)}`;
    }
    await this.load();
  }
}
