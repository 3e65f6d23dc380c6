/** The sync cursor codec (SPEC §7): signed, bound to the caller, keyed from `CURSOR_SECRET`; built once per container. */
import { CURSOR_SECRET } from '../config';
import { isSyncPosition, type CursorCodec } from '../domain/sync';
import { signedCursor } from './signed-cursor';

let codec: CursorCodec | undefined;

export function syncCursors(): CursorCodec {
  codec ??= signedCursor(CURSOR_SECRET, 'sync', isSyncPosition);
  return codec;
}
