/**
 * A confirmation before anything that cannot be undone (deleting a message,
 * leaving a group, removing a member): the page's one `<dialog>`, modal, with
 * Cancel focused first so Enter never destroys by accident. Escape cancels.
 */
import { byTestId } from './dom';

/** Resolves true when the user confirmed with `action` (the button's label), false on Cancel or Escape. */
export function confirmAction(text: string, action: string): Promise<boolean> {
  const dialog = byTestId<HTMLDialogElement>('confirm-dialog');
  byTestId('confirm-text').textContent = text;
  byTestId('confirm-ok').textContent = action;
  dialog.returnValue = '';
  dialog.showModal();
  byTestId<HTMLButtonElement>('confirm-cancel').focus();
  return new Promise((done) => dialog.addEventListener('close', () => done(dialog.returnValue === 'ok'), { once: true }));
}
