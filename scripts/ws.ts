/**
 * `npm run -s ws -- <userId> [--name N] [--role R ...] [--token JWT]`
 *
 * A terminal WebSocket client for the local stack (instead of `npx wscat`,
 * which downloads a package): connects to `ws://127.0.0.1:${PORT:-3000}/ws`
 * with a token minted for `userId` (or the given `--token`), prints every
 * frame the server sends as one line on stdout, and sends every line typed
 * on stdin as a frame, e.g. `{"action":"ping"}` or
 * `{"action":"sendMessage","chatId":"…","content":"hi","requestId":"1"}`.
 *
 * Status lines go to stderr, so `npm run -s ws -- bob > events.jsonl` keeps
 * only the frames. Exits 0 when stdin ends or on Ctrl-C, 1 when the
 * connection is refused or lost (the close code and reason are printed).
 */
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { fail, localBaseUrl, mintDevToken, parseCli } from './dev-token';

const usage = 'usage: npm run -s ws -- <userId> [--name N] [--role R ...] [--token JWT]';

const { values, positionals } = parseCli(usage, {
  name: { type: 'string' },
  role: { type: 'string', multiple: true },
  token: { type: 'string' },
});
if (positionals.length !== 1 && !values.token) fail(usage);

const baseUrl = localBaseUrl();
let token = values.token;
try {
  token ??= await mintDevToken(baseUrl, {
    userId: positionals[0]!,
    name: values.name,
    roles: values.role?.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean),
  });
} catch (error) {
  fail((error as Error).message);
}

const url = `${baseUrl.replace(/^http/, 'ws')}/ws`;
const socket = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
let stopping = false;

socket.on('unexpected-response', (_request, response) => {
  let body = '';
  response.on('data', (chunk: Buffer) => (body += chunk.toString()));
  response.on('end', () => fail(`${url} refused the connection: ${response.statusCode} ${body}`.trim()));
});
socket.on('error', (error) => fail(`${url}: ${error.message}`));
socket.on('open', () => {
  process.stderr.write(`connected to ${url}${positionals[0] ? ` as ${positionals[0]}` : ''}; frames below, type a JSON frame + Enter to send one, Ctrl-D to quit\n`);
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim()) socket.send(line.trim());
  });
  input.on('close', () => {
    stopping = true;
    socket.close(1000);
  });
});
socket.on('message', (data) => process.stdout.write(`${data.toString()}\n`));
socket.on('close', (code, reason) => {
  if (stopping) process.exit(0);
  fail(`connection closed: ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
});
process.on('SIGINT', () => {
  stopping = true;
  socket.close(1000);
  setTimeout(() => process.exit(0), 500).unref();
});
