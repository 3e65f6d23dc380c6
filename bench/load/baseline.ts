/**
 * The load test's ceiling: the same traffic against a bare `ws` broadcast
 * server in the load process, which stores nothing and checks nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Plan } from './plan';
import type { Target } from './traffic';

/**
 * The ceiling: a bare `ws` server that, on `{chatId, ...}`, stamps a per-chat
 * seq, forwards `message.new` to every connected member socket of the chat
 * and acks the sender. No storage, no auth, no HTTP hop.
 */
export async function startBaseline(plan: Plan): Promise<{ target: Target; close(): Promise<void> }> {
  const chatIds = plan.chats.map((_, c) => `b${c}`);
  const chatIndex = new Map(chatIds.map((id, c) => [id, c]));
  const sockets: Set<WebSocket>[] = plan.chats.map(() => new Set());
  const seqs = new Uint32Array(plan.chats.length);
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const user = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('user'));
    const userId = plan.users[user];
    const mine = plan.chatsOf[user] ?? [];
    for (const c of mine) sockets[c].add(ws);
    ws.on('close', () => {
      for (const c of mine) sockets[c].delete(ws);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      let frame: any;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return void ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'bad JSON' }));
      }
      const c = chatIndex.get(frame?.chatId);
      if (c === undefined || !sockets[c].has(ws)) {
        return void ws.send(JSON.stringify({ type: 'error', requestId: frame?.requestId, code: 'not_found', message: 'no such chat' }));
      }
      const seq = ++seqs[c];
      const message = {
        id: `${chatIds[c]}-${seq}`,
        chatId: chatIds[c],
        seq,
        senderId: userId,
        type: 'text',
        content: frame.content,
        clientMessageId: frame.clientMessageId,
        metadata: frame.metadata,
        createdAt: new Date().toISOString(),
      };
      const event = JSON.stringify({ type: 'message.new', chatId: chatIds[c], message });
      for (const member of sockets[c]) member.send(event);
      ws.send(JSON.stringify({ type: 'ack', requestId: frame.requestId, message }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    target: { name: 'bare ws baseline', chatIds, wsUrl: (user) => `ws://127.0.0.1:${port}/?user=${user}` },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
