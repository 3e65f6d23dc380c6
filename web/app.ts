/**
 * The web client's entry (bundled to `/app.js` by `local/web.ts`): sign-in,
 * the session, and the wiring of the SDK's socket events to the chat list
 * and the conversation pane.
 *
 * Session: `{token, userId}` in sessionStorage, so a reload stays signed in
 * and each tab can be a different user. Tokens come from the local stack's
 * `POST /dev/token`; the client exists only in the local stack.
 */
import { ChatApiError, ChatClient, ChatSocket, LocalStorageCursorStore, type SocketState, type User } from '../sdk/src/index';
import { ChatList, SupportQueue } from './chat-list';
import { Conversation } from './conversation';
import { ModerationQueue } from './moderation';
import { byTestId } from './dom';
import { describeError, showError, type Services } from './services';
import { parseUserIds } from './state';

const SESSION_KEY = 'serverless-chat.session';

interface Session {
  token: string;
  userId: string;
}

function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    const value = raw ? (JSON.parse(raw) as Partial<Session>) : undefined;
    return value && typeof value.token === 'string' && typeof value.userId === 'string' ? { token: value.token, userId: value.userId } : undefined;
  } catch {
    return undefined; // corrupt entry: sign in again
  }
}

/** Connection states as the status pill shows them. */
const STATUS_TEXT: Record<SocketState, string> = {
  idle: 'offline',
  connecting: 'connecting…',
  open: 'online',
  reconnecting: 'reconnecting…',
  closed: 'offline',
};

// ---------------------------------------------------------------- sign-in

function showSignIn(message = ''): void {
  byTestId('app-view').hidden = true;
  byTestId('signin-view').hidden = false;
  byTestId('signin-error').textContent = message;
  byTestId<HTMLInputElement>('signin-user-id').focus();
}

byTestId<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget as HTMLFormElement);
  const userId = String(form.get('userId') ?? '').trim();
  const name = String(form.get('name') ?? '').trim();
  void signIn(userId, name || undefined, form.get('agent') === 'on', form.get('admin') === 'on');
});

/** `POST /dev/token` (local stack only, hence not an SDK method), then start the app. */
async function signIn(userId: string, name: string | undefined, agent: boolean, admin = false): Promise<void> {
  const button = byTestId<HTMLButtonElement>('signin-submit');
  button.disabled = true;
  try {
    const res = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId, name, roles: agent || admin ? [...(agent ? ['support'] : []), ...(admin ? ['admin'] : [])] : undefined }),
    });
    const body = (await res.json().catch(() => ({}))) as { token?: string; detail?: string; message?: string };
    if (!res.ok || !body.token) throw new Error(body.detail ?? body.message ?? `POST /dev/token answered ${res.status}`);
    const session = { token: body.token, userId };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    await start(session);
  } catch (error) {
    byTestId('signin-error').textContent = describeError(error);
  } finally {
    button.disabled = false;
  }
}

byTestId('signout').addEventListener('click', () => {
  sessionStorage.removeItem(SESSION_KEY);
  // A fresh page is the simplest way to drop every listener, timer and socket of the session.
  location.hash = '';
  location.reload();
});

// ---------------------------------------------------------------- the signed-in app

async function start(session: Session): Promise<void> {
  const api = new ChatClient({ baseUrl: location.origin, token: () => session.token });
  let me: User;
  try {
    ({ user: me } = await api.getMe());
  } catch (error) {
    // A token from an earlier run of the local stack (its signing key is per process) answers 401.
    if (error instanceof ChatApiError && error.status === 401) {
      sessionStorage.removeItem(SESSION_KEY);
      return showSignIn('Your session expired; sign in again.');
    }
    throw error;
  }
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  // The sync cursor per user and tab (sessionStorage, like the session): a reload resumes it, and a reconnect
  // catches up with one GET /v1/sync (edits, deletes, reactions, renames, membership) instead of a request per chat.
  const cursorStore = new LocalStorageCursorStore(`serverless-chat.sync.${me.id}`, sessionStorage);
  const socket = new ChatSocket({ url: wsUrl, token: () => session.token, api, cursorStore, userId: me.id });
  const s: Services = { api, socket, me };

  byTestId('signin-view').hidden = true;
  byTestId('app-view').hidden = false;
  byTestId('me-name').textContent = me.name;
  byTestId('me-id').textContent = me.id;
  const sidebarError = byTestId('sidebar-error');

  // Phone-sized screens show either the list or the conversation (style.css); wider ones both.
  const app = byTestId('app-view');
  const select = (chatId: string) => {
    chats.activeId = chatId;
    chats.render();
    history.replaceState(null, '', `#${encodeURIComponent(chatId)}`);
    app.dataset.view = 'conversation';
    void conversation.open(chatId);
  };
  const backToList = () => {
    chats.activeId = undefined;
    chats.render();
    history.replaceState(null, '', location.pathname);
    app.dataset.view = 'list';
    conversation.close();
  };
  byTestId('back').addEventListener('click', backToList);
  const chats = new ChatList(s, select);
  const conversation = new Conversation(s, chats, backToList);
  const queue = me.roles.includes('support') ? new SupportQueue(s, chats, select) : undefined;
  const moderation = me.roles.includes('admin') ? new ModerationQueue(s) : undefined;

  // Socket events → list and conversation. What happened while offline arrives the same way (sync, `catchUp: true`),
  // once and in order, so these handlers are the whole reconnect story.
  const status = byTestId('connection-status');
  socket.on('status', ({ state }) => {
    status.dataset.state = state;
    status.textContent = STATUS_TEXT[state];
  });
  socket.on('message.new', ({ chatId, message }) => {
    chats.onMessage(chatId, message, conversation.isViewing(chatId));
    conversation.onMessage(chatId, message);
  });
  socket.on('message.edited', ({ chatId, message }) => {
    chats.onMessageChanged(chatId, message);
    conversation.onMessage(chatId, message);
  });
  socket.on('message.deleted', ({ chatId, messageId, at }) => {
    chats.onMessageChanged(chatId, { id: messageId, deleted: true });
    conversation.onDeleted(chatId, messageId, at);
  });
  socket.on('reaction.updated', ({ chatId, messageId, reactions }) => conversation.onReactions(chatId, messageId, reactions));
  socket.on('message.pinned', ({ chatId, messageId, pinned, pinnedBy, pinnedAt }) => conversation.onPinned(chatId, messageId, pinned, pinnedBy, pinnedAt));
  // The caller's own archive flag or notification level changed (here or on another device).
  socket.on('membership.updated', ({ chatId, archived, notificationLevel }) => {
    chats.put({ id: chatId, archived, notificationLevel });
    conversation.onChatChanged(chatId);
  });
  socket.on('messages.read', ({ chatId, userId, lastReadSeq }) => {
    if (userId === me.id) chats.onRead(chatId, lastReadSeq);
    else conversation.onRead(chatId, userId, lastReadSeq);
  });
  socket.on('typing', ({ chatId, userId, isTyping }) => conversation.onTyping(chatId, userId, isTyping));
  socket.on('presence', ({ userId, online }) => {
    chats.setOnline(userId, online);
    const active = conversation.activeChatId;
    if (active) conversation.onChatChanged(active);
  });
  socket.on('chat.created', ({ chat }) => {
    // Events carry the chat without participants for some types; one read fills in titles and presence.
    void chats.refresh(chat.id).catch(() => chats.put(chat));
    if (chat.type === 'support') void queue?.load();
  });
  socket.on('chat.updated', ({ chat }) => {
    const known = chats.get(chat.id);
    chats.put(chat);
    conversation.onChatChanged(chat.id);
    // A new assignee joined a support chat: read it again for their name ("who is helping me").
    if (chat.type === 'support' && chat.assigneeId && known && !known.participants?.some((p) => p.userId === chat.assigneeId)) {
      void chats.refresh(chat.id).then(() => conversation.onChatChanged(chat.id), () => undefined);
    }
    if (chat.type === 'support') void queue?.load();
  });
  socket.on('participants.added', ({ chatId }) => {
    void chats.refresh(chatId).then(
      () => conversation.onChatChanged(chatId),
      (error: unknown) => showError(sidebarError, error),
    );
  });
  socket.on('participant.removed', ({ chatId, userId }) => {
    if (userId !== me.id) {
      void chats.refresh(chatId).then(
        () => conversation.onChatChanged(chatId),
        (error: unknown) => showError(sidebarError, error),
      );
      return;
    }
    chats.remove(chatId);
    if (conversation.activeChatId === chatId) backToList();
  });

  // Archived or unarchived on another device (or while offline): the list follows.
  socket.on('membership.updated', ({ chatId, archived }) => {
    if (chats.get(chatId)) chats.put({ id: chatId, archived });
  });

  // Offline for longer than the sync window (410 sync_expired): the socket took a fresh cursor; reload what is shown.
  socket.on('syncExpired', () => {
    void chats.load().catch((error: unknown) => showError(sidebarError, error));
    const active = conversation.activeChatId;
    if (active) void conversation.open(active);
  });

  wireSidebar(s, chats, select, sidebarError);

  // Connect (which takes the sync cursor) before loading, so nothing sent meanwhile is missed: an event for a
  // chat not loaded yet makes the list fetch that chat. A failed first connect leaves the pill at "offline";
  // HTTP still works.
  await socket.connect().catch((error: unknown) => showError(sidebarError, error));
  await Promise.all([chats.load(), queue?.load(), moderation?.load(), conversation.blocks.load()]);
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash && chats.get(fromHash)) select(fromHash);
}

/** New direct chat, new group, contact support. */
function wireSidebar(s: Services, chats: ChatList, select: (chatId: string) => void, error: HTMLElement): void {
  const run = async (form: HTMLFormElement | undefined, action: () => Promise<{ chat: { id: string } }>) => {
    try {
      const { chat } = await action();
      await chats.refresh(chat.id);
      form?.reset();
      form?.closest('details')?.removeAttribute('open');
      select(chat.id);
    } catch (e) {
      showError(error, e);
    }
  };

  byTestId<HTMLFormElement>('new-direct-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const userId = String(new FormData(form).get('userId') ?? '').trim();
    void run(form, () => s.api.createChat({ type: 'direct', participantIds: [userId] }));
  });

  byTestId<HTMLFormElement>('new-group-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const title = String(data.get('title') ?? '').trim();
    const participantIds = parseUserIds(String(data.get('userIds') ?? '')).filter((id) => id !== s.me.id);
    void run(form, () => s.api.createChat({ type: 'group', title, participantIds }));
  });

  // Answers the caller's open support chat if there is one (200), so the button is safe to press again.
  byTestId('contact-support').addEventListener('click', () => void run(undefined, () => s.api.openSupportChat({})));
}

// ---------------------------------------------------------------- boot

const session = loadSession();
if (session) {
  start(session).catch((error: unknown) => showSignIn(describeError(error)));
} else {
  showSignIn();
}
