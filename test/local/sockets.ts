/**
 * The listening TCP sockets of processes, read from Linux's /proc (the
 * socket inodes in `/proc/<pid>/fd`, their addresses in `/proc/net/tcp` and
 * `tcp6`), so tests can assert what the local stack's emulators bind to.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export { processTree } from '../../bench/load/procfs';

/** Where /proc can tell; the tests that use this skip elsewhere. */
export const CAN_READ_SOCKETS = process.platform === 'linux';

export interface ListeningSocket {
  /** `127.0.0.1`, `0.0.0.0`, `::`, `::ffff:127.0.0.1`, … */
  address: string;
  port: number;
  pid: number;
}

/** Every listening TCP socket (IPv4 and IPv6) the processes hold open. */
export function listeningSockets(pids: readonly number[]): ListeningSocket[] {
  const owner = new Map<string, number>();
  for (const pid of pids) {
    for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
      const target = safeReadlink(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target ?? '')?.[1];
      if (inode) owner.set(inode, pid);
    }
  }
  const out: ListeningSocket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue; // 0A: TCP_LISTEN
      const pid = owner.get(fields[9]);
      if (pid === undefined) continue;
      const [hex, port] = fields[1].split(':');
      out.push({ address: decodeAddress(hex), port: parseInt(port, 16), pid });
    }
  }
  return out;
}

/** Whether a socket address is a loopback one (127.0.0.0/8, `::1`, or IPv4 loopback mapped into IPv6). */
export function isLoopback(address: string): boolean {
  return /^(::ffff:)?127\./.test(address) || address === '::1';
}

/**
 * /proc/net/tcp writes addresses as 32-bit words in host byte order (little
 * endian on x86 and arm64): `0100007F` is 127.0.0.1.
 */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(chunk.slice(i, i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
