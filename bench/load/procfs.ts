/**
 * CPU figures and process lookups from Linux's /proc: CPU seconds of
 * processes and threads, a process tree, the machine's busy share, and the
 * pid of a running local stack. Elsewhere every reader answers 0, NaN, [] or
 * undefined, and the report leaves those figures out.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** utime+stime of each process, in seconds (Linux; missing processes count 0). */
export function processSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** utime+stime of one thread, in seconds (Linux; NaN elsewhere or when gone). */
export function threadSeconds(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A process and all its descendants (Linux; [] elsewhere). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        let list = parents.get(ppid);
        if (!list) parents.set(ppid, (list = []));
        list.push(Number(entry));
      } catch {
        // gone
      }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const child of parents.get(p) ?? []) walk(child);
  };
  walk(pid);
  return out;
}

/** The pid of the `local/start.ts` process listening on `port` (Linux; undefined elsewhere). */
export function findStackPid(port: number): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('local/start.ts')) continue;
        if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`PORT=${port}`)) return Number(entry);
      } catch {
        // gone or not ours
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** The stack's node process and DynamoDB Local (its descendants), for CPU figures. */
export function stackProcesses(pid: number): () => Record<string, number[]> {
  return () => ({ 'stack (node)': [pid], 'DynamoDB Local (java)': processTree(pid).filter((p) => p !== pid) });
}

/** Machine-wide busy/total jiffies (Linux; zeros elsewhere). */
export function cpuTimes(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
