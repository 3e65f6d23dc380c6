/**
 * The conversation pane: history with "load older" and a separator per day,
 * the composer (send with Enter, reply, edit, image attachments), reactions,
 * read receipts, the typing indicator, and marking the chat read while it is
 * on screen. Each message's actions (reply, edit, delete, react) appear on
 * hover or keyboard focus, and on a long press on touch screens; a delete
 * asks first. The header opens search (`search.ts`) and the details panel
 * (`details.ts`: members, support status, archive, notification level).
 * Typing `@` offers the participants to mention (the mention is sent as
 * `mentions` and highlighted in the message); pinned messages show in a bar
 * above the history, and group owners/admins (anyone in direct and support
 * chats) pin and unpin from a message's actions.
 *
 * Messages are kept ordered by seq and re-rendered as a whole on change:
 * simple, and fast enough for the few hundred messages a page holds.
 */
import type { Message, PendingAttachment } from '../sdk/src/index';
import { byTestId, h, shortTime } from './dom';
import type { ChatList } from './chat-list';
import { confirmAction } from './confirm';
import { ChatDetails } from './details';
import { Blocks, HIDDEN_TEXT, reportDialog } from './moderation';
import { ChatSearch } from './search';
import { describeError, showError, type Services } from './services';
import {
  chatTitle,
  isAgent,
  mentionCandidates,
  mentionQuery,
  mentionSegments,
  mentionsIn,
  peerOf,
  REACTIONS,
  reactionChips,
  receipt,
  supportLine,
  TypingTracker,
  typingText,
  upsertMessage,
  withDaySeparators,
} from './state';

/** How long a touch must rest on a message to open its actions (a common long-press threshold). */
const LONG_PRESS_MS = 450;

/** Messages per history page. */
const PAGE = 30;

interface Upload {
  file: File;
  done: Promise<PendingAttachment>;
  state: 'uploading' | 'ready' | 'failed';
}

export class Conversation {
  private chatId: string | undefined;
  private messages: Message[] = [];
  private hasMore = false;
  private olderCursor: string | null = null;
  /** Newest `lastReadSeq` of each other participant seen in `messages.read` events. */
  private markers = new Map<string, number>();
  private replyTo: Message | undefined;
  private editing: Message | undefined;
  private uploads: Upload[] = [];
  private readonly typing = new TypingTracker();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Serialises read marks: one request in flight, the latest wish queued behind it. */
  private marking: Promise<void> | undefined;
  private markAgain = false;
  /** Bumped on every open(): answers for a chat the user already left are dropped. */
  private generation = 0;
  /** The chat's pinned messages, most recently pinned first (`GET …/pins`). */
  private pins: Message[] = [];
  /** Mentions picked from the suggestions for the message being written: user id → the name inserted as `@Name`. */
  private picked = new Map<string, string>();
  private readonly pinnedBar = byTestId('pinned-bar');
  private readonly suggestions = byTestId<HTMLUListElement>('mention-suggestions');

  private readonly root = byTestId('conversation');
  private readonly list = byTestId<HTMLOListElement>('messages');
  private readonly scroller = byTestId('message-scroller');
  private readonly input = byTestId<HTMLTextAreaElement>('composer-input');
  private readonly fileInput = byTestId<HTMLInputElement>('file-input');
  private readonly older = byTestId<HTMLButtonElement>('load-older');
  private readonly error = byTestId('composer-error');
  readonly details: ChatDetails;
  readonly search: ChatSearch;
  /** Whom the user blocks (SPEC §9): toggled from a sender's name. */
  readonly blocks: Blocks;

  constructor(
    private readonly s: Services,
    private readonly chats: ChatList,
    /** The caller left the chat from the details panel. */
    onLeft: (chatId: string) => void,
  ) {
    this.blocks = new Blocks(s);
    this.details = new ChatDetails(s, chats, { left: onLeft, changed: (chatId) => this.onChatChanged(chatId) });
    this.search = new ChatSearch(s, chats, (messageId) => this.reveal(messageId));
    // Which input was used last decides whether focus shows a message's actions (style.css).
    document.addEventListener('keydown', () => (document.documentElement.dataset.input = 'keyboard'), true);
    document.addEventListener('pointerdown', () => (document.documentElement.dataset.input = 'pointer'), true);
    // A tap or click outside a message closes actions opened by a long press.
    document.addEventListener('pointerdown', (event) => {
      const open = this.list.querySelector('[data-actions-open="true"]');
      if (open && !open.contains(event.target as Node)) this.setActionsOpen(undefined);
    });
    byTestId('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.input.addEventListener('keydown', (event) => {
      const first = this.suggestions.hidden ? null : this.suggestions.querySelector<HTMLElement>('[data-testid="mention-suggestion"]');
      if (first && (event.key === 'Tab' || (event.key === 'Enter' && !event.shiftKey))) {
        event.preventDefault();
        first.click();
      } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.submit();
      } else if (event.key === 'Escape') this.clearContext();
    });
    this.input.addEventListener('input', () => {
      this.renderSuggestions();
      if (!this.chatId || this.editing) return;
      if (this.input.value.trim()) this.s.socket.typing(this.chatId);
      else this.s.socket.stopTyping(this.chatId);
    });
    this.fileInput.addEventListener('change', () => {
      for (const file of Array.from(this.fileInput.files ?? [])) this.upload(file);
      this.fileInput.value = '';
    });
    byTestId('composer-cancel').addEventListener('click', () => this.clearContext());
    this.older.addEventListener('click', () => void this.loadOlder());
    document.addEventListener('visibilitychange', () => this.markReadIfViewing());
  }

  get activeChatId(): string | undefined {
    return this.chatId;
  }

  /** Whether the user can see `chatId` right now (open and the tab visible): its new messages count as read. */
  isViewing(chatId: string): boolean {
    return this.chatId === chatId && document.visibilityState === 'visible';
  }

  /** Shows a chat: its latest page of history, participants, presence; then marks it read. */
  async open(chatId: string): Promise<void> {
    if (this.chatId && this.chatId !== chatId) this.s.socket.stopTyping(this.chatId);
    const generation = ++this.generation;
    this.chatId = chatId;
    this.messages = [];
    this.markers = new Map();
    this.uploads = [];
    this.hasMore = false;
    this.clearContext();
    this.root.dataset.empty = 'false';
    this.root.dataset.chatId = chatId;
    this.details.show(chatId);
    this.search.show(chatId);
    this.renderAll();

    this.pins = [];
    this.picked.clear();
    this.renderPins();
    try {
      const [page, pins] = await Promise.all([this.s.api.listMessages(chatId, { limit: PAGE }), this.s.api.listPins(chatId), this.chats.refresh(chatId)]);
      if (generation !== this.generation) return;
      this.pins = pins.messages;
      this.renderPins();
      for (const message of page.messages) this.messages = upsertMessage(this.messages, message);
      this.hasMore = page.hasMore;
      this.olderCursor = page.nextCursor;
      const last = this.messages.at(-1);
      if (last) this.s.socket.track(chatId, last.seq);
      this.renderAll();
      this.scrollToBottom();
      this.markReadIfViewing();
      this.input.focus();
      await this.refreshPeer(chatId);
    } catch (error) {
      if (generation === this.generation) showError(this.error, error);
    }
  }

  /** Called when the caller left or lost the chat. */
  close(): void {
    if (this.chatId) this.s.socket.stopTyping(this.chatId);
    this.chatId = undefined;
    this.generation++;
    this.root.dataset.empty = 'true';
    delete this.root.dataset.chatId;
    this.details.show(undefined);
    this.search.show(undefined);
  }

  // ---------------------------------------------------------------- events

  onMessage(chatId: string, message: Message): void {
    if (chatId !== this.chatId) return;
    this.typing.clear(chatId, message.senderId);
    const atBottom = this.isAtBottom();
    this.messages = upsertMessage(this.messages, message);
    this.renderMessages();
    this.renderTyping();
    if (atBottom || message.senderId === this.s.me.id) this.scrollToBottom();
    if (message.senderId !== this.s.me.id) this.markReadIfViewing();
  }

  /** `message.deleted`: the event carries no message, so apply the soft delete here (SPEC §3: content "", no attachments; `at` is when). */
  onDeleted(chatId: string, messageId: string, at = new Date().toISOString()): void {
    const message = this.messages.find((m) => m.id === messageId);
    if (chatId !== this.chatId || !message || message.deletedAt) return;
    this.onMessage(chatId, { ...message, content: '', attachments: [], deletedAt: at });
  }

  /** `message.pinned`: the message shows its pin, and the pinned bar is read again (it is short: ≤ 50). */
  onPinned(chatId: string, messageId: string, pinned: boolean, pinnedBy: string, pinnedAt: string): void {
    if (chatId !== this.chatId) return;
    const message = this.messages.find((m) => m.id === messageId);
    if (message) this.onMessage(chatId, { ...message, pinnedAt: pinned ? pinnedAt : undefined, pinnedBy: pinned ? pinnedBy : undefined });
    void this.s.api.listPins(chatId).then(
      (pins) => {
        if (chatId !== this.chatId) return;
        this.pins = pins.messages;
        this.renderPins();
      },
      (error: unknown) => showError(this.error, error),
    );
  }

  onReactions(chatId: string, messageId: string, reactions: Message['reactions']): void {
    const message = this.messages.find((m) => m.id === messageId);
    if (chatId === this.chatId && message) this.onMessage(chatId, { ...message, reactions });
  }

  /** Someone's read marker moved: receipts of our messages up to it turn into ✓✓. */
  onRead(chatId: string, userId: string, lastReadSeq: number): void {
    if (chatId !== this.chatId || userId === this.s.me.id) return;
    if (lastReadSeq <= (this.markers.get(userId) ?? 0)) return;
    this.markers.set(userId, lastReadSeq);
    this.renderMessages();
  }

  onTyping(chatId: string, userId: string, isTyping: boolean): void {
    this.typing.set(chatId, userId, isTyping, Date.now());
    if (chatId === this.chatId) this.renderTyping();
  }

  /** Presence, participants, title or status changed: redraw the header and the details. */
  onChatChanged(chatId: string): void {
    if (chatId !== this.chatId) return;
    this.renderHeader();
    this.details.render();
  }

  /** Scrolls to a loaded message and flashes it; false when it is not loaded. */
  reveal(messageId: string): boolean {
    const item = this.list.querySelector<HTMLElement>(`[data-testid="message"][data-id="${CSS.escape(messageId)}"]`);
    if (!item) return false;
    item.scrollIntoView({ block: 'center' });
    item.dataset.flash = 'true';
    setTimeout(() => delete item.dataset.flash, 2_000);
    return true;
  }

  // ---------------------------------------------------------------- actions

  /**
   * Enter / Send: saves an edit, or sends the text with the reply target and
   * the uploaded images. The composer clears at once (the message shows when
   * the server has stored it); on failure the text, images and reply target
   * come back so nothing typed is lost.
   */
  private async submit(): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    const content = this.input.value.trim();
    if (this.editing) {
      if (!content) return;
      try {
        // The edit says which mentions it keeps, adds or drops (`[]` drops them all), so the highlight and the
        // mentioned users' badges follow the new text.
        const { message } = await this.s.api.editMessage(chatId, this.editing.id, { content, mentions: mentionsIn(content, this.picked) });
        this.picked.clear();
        this.renderSuggestions();
        this.clearContext();
        this.onMessage(chatId, message);
      } catch (error) {
        showError(this.error, error);
      }
      return;
    }
    if (!content && this.uploads.length === 0) return;
    this.s.socket.stopTyping(chatId);
    const { uploads, replyTo } = this;
    this.input.value = '';
    this.uploads = [];
    this.replyTo = undefined;
    this.renderPending();
    this.renderContext();
    try {
      const attachments = await Promise.all(uploads.map((u) => u.done));
      const mentions = mentionsIn(content, this.picked);
      this.picked.clear();
      this.renderSuggestions();
      const payload = {
        content: content || undefined,
        replyTo: replyTo?.id,
        attachmentIds: attachments.length ? attachments.map((a) => a.id) : undefined,
        mentions: mentions.length ? mentions : undefined,
      };
      // The SDK sends over the socket while it is open and over HTTP while it reconnects (sending never waits for
      // the connection), one message per chat at a time, so quick sends are stored in the order they were typed.
      const message = await this.s.socket.sendMessage({ chatId, ...payload });
      this.chats.onMessage(chatId, message, true);
      this.onMessage(chatId, message);
    } catch (error) {
      if (chatId === this.chatId && !this.input.value) {
        this.input.value = content;
        this.uploads = uploads.filter((u) => u.state !== 'failed');
        this.replyTo = replyTo;
        this.renderPending();
        this.renderContext();
      }
      showError(this.error, error);
    }
  }

  /** Starts uploading right away, so the send only waits for what is still in flight. */
  private upload(file: File): void {
    const chatId = this.chatId;
    if (!chatId) return;
    const entry: Upload = {
      file,
      state: 'uploading',
      done: this.s.api.uploadAttachment(chatId, file, { filename: file.name, contentType: file.type || 'application/octet-stream' }),
    };
    entry.done.then(
      () => {
        entry.state = 'ready';
        this.renderPending();
      },
      (error: unknown) => {
        entry.state = 'failed';
        this.uploads = this.uploads.filter((u) => u !== entry);
        this.renderPending();
        this.error.textContent = `${file.name}: ${describeError(error)}`;
      },
    );
    this.uploads.push(entry);
    this.renderPending();
  }

  private async loadOlder(): Promise<void> {
    const chatId = this.chatId;
    const first = this.messages[0];
    if (!chatId || !this.hasMore) return;
    const before = Number(this.olderCursor ?? first?.seq);
    this.older.disabled = true;
    try {
      const page = await this.s.api.listMessages(chatId, { before, limit: PAGE });
      if (chatId !== this.chatId) return;
      // Keep the message the user was looking at in place while older ones are added above it.
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      for (const message of page.messages) this.messages = upsertMessage(this.messages, message);
      this.hasMore = page.hasMore;
      this.olderCursor = page.nextCursor;
      this.renderMessages();
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    } catch (error) {
      showError(this.error, error);
    } finally {
      this.older.disabled = false;
    }
  }

  private async toggleReaction(message: Message, key: string): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    try {
      const mine = (message.reactions[key] ?? []).includes(this.s.me.id);
      const { message: updated } = mine
        ? await this.s.api.removeReaction(chatId, message.id, key)
        : await this.s.api.addReaction(chatId, message.id, key);
      this.onMessage(chatId, updated);
    } catch (error) {
      showError(this.error, error);
    }
  }

  /** SPEC §9: block or unblock a sender; the history reloads with (or without) the server's placeholders. */
  private async toggleBlock(userId: string, name: string): Promise<void> {
    try {
      if (this.chatId && (await this.blocks.toggle(userId, name))) await this.open(this.chatId);
    } catch (error) {
      showError(this.error, error);
    }
  }

  private async togglePin(message: Message): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    try {
      const { message: updated } = message.pinnedAt ? await this.s.api.unpinMessage(chatId, message.id) : await this.s.api.pinMessage(chatId, message.id);
      this.onMessage(chatId, updated);
      this.pins = (await this.s.api.listPins(chatId)).messages;
      this.renderPins();
    } catch (error) {
      showError(this.error, error);
    }
  }

  private async report(message: Message): Promise<void> {
    try {
      if (await reportDialog(this.s, message.chatId, message.id)) this.error.textContent = 'Reported. Thank you.';
    } catch (error) {
      showError(this.error, error);
    }
  }

  /** SPEC §4: group owners/admins; anyone in direct and support chats; platform admins. The server decides; this only hides the button. */
  private mayPin(chatId: string): boolean {
    const chat = this.chats.get(chatId);
    if (!chat) return false;
    if (this.s.me.roles.includes('admin') || chat.type !== 'group') return true;
    const role = chat.participants?.find((p) => p.userId === this.s.me.id)?.role;
    return role === 'owner' || role === 'admin';
  }

  /** The pinned bar: the latest pin, and how many there are; a click shows that message. */
  private renderPins(): void {
    const [latest] = this.pins;
    this.pinnedBar.hidden = !latest;
    if (!latest) {
      this.pinnedBar.replaceChildren();
      return;
    }
    const chatId = latest.chatId;
    this.pinnedBar.replaceChildren(
      h('button', { type: 'button', class: 'link', 'data-testid': 'pinned-latest', 'data-id': latest.id }, [
        `📌 ${this.chats.nameOf(chatId, latest.senderId)}: ${latest.deletedAt ? 'Message deleted' : latest.content.slice(0, 100)}`,
      ], { click: () => this.reveal(latest.id) }),
      h('span', { class: 'muted', 'data-testid': 'pinned-count' }, [this.pins.length === 1 ? '1 pinned' : `${this.pins.length} pinned`]),
    );
  }

  /** @-mention suggestions from the chat's participants while the caret is in `@name`. */
  private renderSuggestions(): void {
    const chat = this.chatId ? this.chats.get(this.chatId) : undefined;
    const at = chat ? mentionQuery(this.input.value, this.input.selectionStart ?? this.input.value.length) : undefined;
    const candidates = at && chat ? mentionCandidates(chat, this.s.me.id, at.query) : [];
    this.suggestions.hidden = candidates.length === 0;
    this.suggestions.replaceChildren(
      ...candidates.map((c) =>
        h('li', { role: 'option', 'data-testid': 'mention-suggestion', 'data-user-id': c.userId, tabindex: -1 }, [`@${c.name}`], {
          click: () => {
            const caret = this.input.selectionStart ?? this.input.value.length;
            const text = `${this.input.value.slice(0, at!.start)}@${c.name} ${this.input.value.slice(caret)}`;
            this.input.value = text;
            const position = at!.start + c.name.length + 2;
            this.input.setSelectionRange(position, position);
            this.picked.set(c.userId, c.name);
            this.input.focus();
            this.renderSuggestions();
          },
        }),
      ),
    );
  }

  private async remove(message: Message): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    const preview = message.content ? `“${message.content.slice(0, 80)}${message.content.length > 80 ? '…' : ''}”` : 'this message';
    if (!(await confirmAction(`Delete ${preview}? Everyone in the chat sees “Message deleted” instead.`, 'Delete'))) return;
    try {
      const { message: deleted } = await this.s.api.deleteMessage(chatId, message.id);
      this.onMessage(chatId, deleted);
    } catch (error) {
      showError(this.error, error);
    }
  }

  private startReply(message: Message): void {
    this.editing = undefined;
    this.replyTo = message;
    this.renderContext();
    this.input.focus();
  }

  private startEdit(message: Message): void {
    this.replyTo = undefined;
    this.editing = message;
    this.input.value = message.content;
    // The message's mentions count as picked, so an edit keeps them while their `@Name` stays in the text.
    this.picked.clear();
    for (const id of message.mentions ?? []) this.picked.set(id, this.chats.nameOf(message.chatId, id));
    this.renderContext();
    this.input.focus();
  }

  private clearContext(): void {
    if (this.editing) this.input.value = '';
    this.replyTo = undefined;
    this.editing = undefined;
    this.renderContext();
  }

  /**
   * Marks everything shown as read when the user can see it. Uses HTTP,
   * which answers the exact unread count and works while the socket
   * reconnects; requests are serialised so markers only move forward.
   */
  private markReadIfViewing(): void {
    const chatId = this.chatId;
    const chat = chatId ? this.chats.get(chatId) : undefined;
    const last = this.messages.at(-1);
    if (!chatId || !chat || !last || !this.isViewing(chatId) || chat.lastReadSeq >= last.seq) return;
    if (this.marking) {
      this.markAgain = true;
      return;
    }
    this.marking = this.s.api
      .markRead(chatId, { upToSeq: last.seq })
      .then(({ lastReadSeq, unreadCount }) => this.chats.onRead(chatId, lastReadSeq, unreadCount))
      .catch((error: unknown) => showError(this.error, error))
      .finally(() => {
        this.marking = undefined;
        if (this.markAgain) {
          this.markAgain = false;
          this.markReadIfViewing();
        }
      });
  }

  /** `GET /v1/users/{id}` of a direct or support chat's peer: presence and last seen for the header. */
  private async refreshPeer(chatId: string): Promise<void> {
    const chat = this.chats.get(chatId);
    const peer = chat && peerOf(chat, this.s.me.id);
    if (!peer) return;
    const { user } = await this.s.api.getUser(peer.userId);
    this.lastSeen.set(user.id, user.lastSeenAt ?? undefined);
    this.chats.setOnline(user.id, user.online ?? false);
    this.renderHeader();
  }

  private readonly lastSeen = new Map<string, string | undefined>();

  // ---------------------------------------------------------------- rendering

  private renderAll(): void {
    this.renderHeader();
    this.renderMessages();
    this.renderTyping();
    this.renderContext();
    this.renderPending();
  }

  private renderHeader(): void {
    const chat = this.chatId ? this.chats.get(this.chatId) : undefined;
    // SPEC §9: a frozen chat is read-only for everyone but admins.
    const frozen = Boolean(chat?.frozen) && !this.s.me.roles.includes('admin');
    byTestId('frozen-note').hidden = !frozen;
    byTestId<HTMLButtonElement>('send').disabled = frozen;
    this.input.disabled = frozen;
    const dot = byTestId('conversation-presence');
    const subtitle = byTestId('conversation-subtitle');
    byTestId('conversation-title').textContent = chat ? chatTitle(chat, this.s.me.id) : '';
    const peer = chat && peerOf(chat, this.s.me.id);
    dot.hidden = !peer;
    if (!chat) {
      subtitle.textContent = '';
    } else if (peer) {
      const online = this.chats.isOnline(peer.userId);
      const seen = this.lastSeen.get(peer.userId);
      dot.dataset.online = String(online);
      subtitle.textContent = online ? 'online' : seen ? `last seen ${shortTime(seen)}` : 'offline';
      if (chat.type === 'support') subtitle.textContent = isAgent(this.s.me.roles) ? `${subtitle.textContent} · ${chat.status ?? 'open'}` : supportLine(chat);
    } else if (chat.type === 'support') {
      subtitle.textContent = isAgent(this.s.me.roles) ? `${chat.status ?? 'open'}` : supportLine(chat);
    } else {
      subtitle.textContent = `${chat.participants?.length ?? '…'} participants`;
    }
  }

  private renderMessages(): void {
    this.older.hidden = !this.hasMore;
    this.list.replaceChildren(
      ...withDaySeparators(this.messages).map((item) =>
        item.kind === 'day'
          ? h('li', { class: 'day', 'data-testid': 'date-separator', 'data-day': item.key, role: 'separator' }, [h('span', {}, [item.label])])
          : this.renderMessage(item.message),
      ),
    );
  }

  private renderMessage(message: Message): HTMLLIElement {
    const chatId = message.chatId;
    const meId = this.s.me.id;
    const mine = message.senderId === meId;
    const deleted = Boolean(message.deletedAt);
    const hidden = message.hidden === true;
    const state = receipt(message, meId, this.markers);
    const content = hidden ? HIDDEN_TEXT : deleted ? 'Message deleted' : message.content;
    const quote = message.replyTo
      ? h('div', { class: 'quote', 'data-testid': 'reply-quote' }, [
          `${this.chats.nameOf(chatId, message.replyTo.senderId)}: ${message.replyTo.hidden ? HIDDEN_TEXT : message.replyTo.preview || '…'}`,
        ])
      : null;
    const senderName = this.chats.nameOf(chatId, message.senderId);
    // SPEC §9: block or unblock from a sender's name.
    const sender = mine
      ? h('span', { class: 'sender', 'data-testid': 'message-sender' }, [senderName])
      : h(
          'button',
          {
            type: 'button',
            class: 'link sender',
            'data-testid': 'message-sender',
            'data-blocked': String(this.blocks.has(message.senderId)),
            title: this.blocks.has(message.senderId) ? `Unblock ${senderName}` : `Block ${senderName}`,
          },
          [senderName],
          { click: () => void this.toggleBlock(message.senderId, senderName) },
        );
    const images = message.attachments.map((a) =>
      a.kind === 'image'
        ? h('a', { class: 'attachment', href: a.url, target: '_blank', rel: 'noopener' }, [h('img', { src: a.url, alt: a.filename, 'data-testid': 'attachment-image' }, [], { load: () => this.keepBottom() })])
        : h('a', { class: 'attachment', href: a.url, target: '_blank', rel: 'noopener', 'data-testid': 'attachment-file' }, [`📎 ${a.filename}`]),
    );
    const chips = reactionChips(message, meId).map((chip) =>
      h('button', { type: 'button', 'data-testid': 'reaction', 'data-reaction': chip.key, 'aria-pressed': String(chip.mine), title: chip.key }, [`${chip.label} ${chip.count}`], {
        click: () => void this.toggleReaction(message, chip.key),
      }),
    );
    const button = (testId: string, label: string, onClick: () => void, title?: string) =>
      h('button', { type: 'button', class: 'link', 'data-testid': testId, title, 'aria-label': title }, [label], {
        click: (event) => {
          this.setActionsOpen(undefined);
          onClick();
        },
      });
    const actions =
      deleted || hidden || message.type === 'system'
        ? null
        : h('div', { class: 'actions', 'data-testid': 'message-actions', role: 'toolbar', 'aria-label': 'Message actions' }, [
            button('reply', 'Reply', () => this.startReply(message)),
            mine ? button('edit', 'Edit', () => this.startEdit(message)) : null,
            mine ? button('delete', 'Delete', () => void this.remove(message)) : null,
            mine ? null : button('report', 'Report', () => void this.report(message)),
            this.mayPin(chatId) ? button(message.pinnedAt ? 'unpin' : 'pin', message.pinnedAt ? 'Unpin' : 'Pin', () => void this.togglePin(message)) : null,
            ...REACTIONS.map((r) => {
              const react = button('react', r.label, () => void this.toggleReaction(message, r.key), `React ${r.key}`);
              react.dataset.reaction = r.key;
              return react;
            }),
          ]);
    const item = h(
      'li',
      {
        'data-testid': 'message',
        'data-id': message.id,
        'data-seq': message.seq,
        'data-mine': String(mine),
        'data-type': message.type,
        'data-deleted': String(deleted),
        'data-hidden': String(hidden),
        'data-mentioned': message.mentions?.includes(meId) ? 'true' : undefined,
        'data-pinned': message.pinnedAt ? 'true' : undefined,
        // Focusable, so keyboard users reach the actions (they show on :focus-within).
        tabindex: actions ? 0 : undefined,
        'data-actions-open': actions && message.id === this.actionsOpenId ? 'true' : undefined,
      },
      [
        message.type === 'system'
          ? null
          : h('div', { class: 'meta' }, [
              sender,
              h('span', {}, [shortTime(message.createdAt)]),
              message.editedAt && !deleted ? h('span', { 'data-testid': 'edited' }, ['(edited)']) : null,
              state ? h('span', { class: 'receipt', 'data-testid': 'receipt', 'data-state': state, title: state === 'read' ? 'Read' : 'Sent' }, [state === 'read' ? '✓✓' : '✓']) : null,
            ]),
        quote,
        h(
          'div',
          { class: 'content', 'data-testid': 'message-content' },
          deleted || hidden
            ? [content]
            : mentionSegments(content, (message.mentions ?? []).map((id) => this.chats.nameOf(chatId, id))).map((part) =>
                part.mention ? h('mark', { class: 'mention', 'data-testid': 'mention' }, [part.text]) : part.text,
              ),
        ),
        ...images,
        chips.length ? h('div', { class: 'reactions', 'data-testid': 'reactions' }, chips) : null,
        actions,
      ],
    );
    if (actions) this.longPress(item);
    return item;
  }

  /**
   * The message whose actions a long press opened (at most one). Kept by id,
   * so a re-render (a new message, a reaction, a receipt) keeps them open.
   */
  private actionsOpenId: string | undefined;

  private setActionsOpen(messageId: string | undefined): void {
    this.actionsOpenId = messageId;
    this.list.querySelectorAll<HTMLElement>('[data-testid="message"]').forEach((li) => {
      if (li.dataset.id === messageId) li.dataset.actionsOpen = 'true';
      else delete li.dataset.actionsOpen;
    });
  }

  /** Touch: resting a finger on a message opens its actions (the browser's own long-press menu is suppressed on it). */
  private longPress(item: HTMLLIElement): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const open = () => this.setActionsOpen(item.dataset.id);
    const cancel = () => clearTimeout(timer);
    item.addEventListener('pointerdown', (event) => {
      if (event.pointerType !== 'touch' || (event.target as HTMLElement).closest('button, a')) return;
      cancel();
      timer = setTimeout(open, LONG_PRESS_MS);
    });
    for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const) item.addEventListener(type, cancel);
    item.addEventListener('contextmenu', (event) => {
      if ((event.target as HTMLElement).closest('a, img')) return;
      event.preventDefault();
      open();
    });
  }

  private renderTyping(): void {
    clearTimeout(this.typingTimer);
    const chatId = this.chatId;
    const ids = chatId ? this.typing.typing(chatId, Date.now()) : [];
    byTestId('typing-indicator').textContent = typingText(ids.map((id) => this.chats.nameOf(chatId!, id)));
    // Expire the indicator even if no further event comes.
    if (ids.length) this.typingTimer = setTimeout(() => this.renderTyping(), 1_000);
  }

  private renderContext(): void {
    const box = byTestId('composer-context');
    const text = byTestId('composer-context-text');
    const target = this.editing ?? this.replyTo;
    box.hidden = !target;
    box.dataset.mode = this.editing ? 'edit' : 'reply';
    if (this.editing) text.textContent = 'Editing message (Enter to save, Esc to cancel)';
    else if (this.replyTo) text.textContent = `Replying to ${this.chats.nameOf(this.replyTo.chatId, this.replyTo.senderId)}: ${this.replyTo.content.slice(0, 80)}`;
  }

  private renderPending(): void {
    byTestId('pending-attachments').replaceChildren(
      ...this.uploads.map((upload) =>
        h('li', { 'data-testid': 'pending-attachment', 'data-state': upload.state }, [
          `📎 ${upload.file.name}${upload.state === 'uploading' ? ' (uploading…)' : ''}`,
          h('button', { type: 'button', class: 'link', 'aria-label': 'Remove' }, ['✕'], {
            click: () => {
              this.uploads = this.uploads.filter((u) => u !== upload);
              this.renderPending();
            },
          }),
        ]),
      ),
    );
  }

  private isAtBottom(): boolean {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 40;
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** An image finished loading and grew the list: stay at the bottom if we were there. */
  private keepBottom(): void {
    if (this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 400) this.scrollToBottom();
  }
}
