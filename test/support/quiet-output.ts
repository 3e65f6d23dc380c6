/**
 * Vitest setup file (every project): what code under test writes straight to
 * `process.stdout`/`process.stderr` (Powertools' JSON log lines from tests
 * that inject faults on purpose, CDK's "Bundling asset …" lines) is held
 * back while a test runs and printed only when that test fails, so a green
 * `npm test` shows the results and nothing else while a red one still shows
 * every log line of the failure. Output of hooks (`beforeAll`, e.g. a CDK
 * synth) goes with the next test to finish, and is printed with it if it fails.
 *
 * `console.*` is unaffected (vitest reports it itself), and so is anything
 * vitest writes. `TEST_OUTPUT=1` turns the holding back off.
 */
import { afterAll, afterEach } from 'vitest';

type Write = typeof process.stdout.write;

if (process.env.TEST_OUTPUT !== '1') {
  const held: { stream: NodeJS.WriteStream; write: Write; chunk: string | Uint8Array }[] = [];
  const hold = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream) as Write;
    stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
      held.push({ stream, write, chunk });
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as Write;
    return write;
  };
  const release = (print: boolean) => {
    const chunks = held.splice(0);
    if (print) for (const { write, chunk } of chunks) write(chunk);
  };
  hold(process.stdout);
  hold(process.stderr);
  let failed = false;
  afterEach((context) => {
    const state = context.task.result?.state;
    failed ||= state === 'fail';
    release(state === 'fail');
  });
  // Whatever is still held (a failing beforeAll, afterAll output) is printed when anything in the file failed.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => release(failed || suite.result?.state === 'fail' || suite.tasks.some((t) => t.result?.state === 'fail')));
}
