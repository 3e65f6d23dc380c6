/**
 * Search in the open chat (🔍): `GET /v1/chats/{id}/messages?q=` (the
 * server's case-insensitive substring search over the history, newest
 * first in pages; see the README's "Search"). Results are listed newest
 * first with the term marked; picking one scrolls to it when it is loaded
 * and flashes it.
 */
import type { Message } from '../sdk/src/index';
import type { ChatList } from './chat-list';
import { byTestId, h, highlight, shortTime } from './dom';
import { describeError, type Services } from './services';

/** Matches shown per search (one API page). */
const RESULTS = 30;

export class ChatSearch {
  private readonly form = byTestId<HTMLFormElement>('search-form');
  private readonly input = byTestId<HTMLInputElement>('search-input');
  private readonly status = byTestId('search-status');
  private readonly results = byTestId<HTMLOListElement>('search-results');
  private readonly toggle = byTestId<HTMLButtonElement>('search-toggle');
  private chatId: string | undefined;
  private generation = 0;

  constructor(
    private readonly s: Services,
    private readonly chats: ChatList,
    /** Scrolls the conversation to a message; false when it is not loaded. */
    private readonly reveal: (messageId: string) => boolean,
  ) {
    this.toggle.addEventListener('click', () => this.setOpen(this.form.hidden !== false));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.setOpen(false);
    });
  }

  setOpen(open: boolean): void {
    this.form.hidden = !open;
    this.toggle.setAttribute('aria-pressed', String(open));
    if (open) this.input.focus();
    else this.clear();
  }

  /** Another chat is shown: results of the previous one go. */
  show(chatId: string | undefined): void {
    if (chatId === this.chatId) return;
    this.chatId = chatId;
    this.input.value = '';
    this.clear();
  }

  private clear(): void {
    this.generation++;
    this.status.textContent = '';
    this.results.replaceChildren();
  }

  private async search(): Promise<void> {
    const chatId = this.chatId;
    const q = this.input.value.trim();
    if (!chatId || !q) return this.clear();
    const generation = ++this.generation;
    this.status.textContent = 'Searching…';
    try {
      const page = await this.s.api.listMessages(chatId, { q, limit: RESULTS });
      if (generation !== this.generation) return;
      const found = [...page.messages].reverse();
      this.status.textContent = found.length === 0 ? `No messages match “${q}”.` : `${found.length}${page.hasMore ? '+' : ''} ${found.length === 1 ? 'match' : 'matches'}`;
      this.results.replaceChildren(...found.map((m) => this.result(chatId, m, q)));
    } catch (error) {
      if (generation === this.generation) this.status.textContent = describeError(error);
    }
  }

  private result(chatId: string, message: Message, q: string): HTMLLIElement {
    return h('li', { 'data-testid': 'search-result', 'data-id': message.id, tabindex: 0 }, [
      h('div', { class: 'muted' }, [`${this.chats.nameOf(chatId, message.senderId)} · ${shortTime(message.createdAt)}`]),
      highlight(h('div', { class: 'content' }), message.content, q),
    ], {
      click: () => {
        if (!this.reveal(message.id)) this.status.textContent = 'That message is further back: use “Load older messages” to reach it.';
      },
      keydown: (event) => {
        if (event.key === 'Enter') (event.currentTarget as HTMLElement).click();
      },
    });
  }
}
