/**
 * The few DOM helpers the client needs. Text always goes in through
 * `textContent` (never `innerHTML`), so message content cannot inject markup.
 */

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

/**
 * Creates an element. `attrs`: `class`, `data-*`, `aria-*` and other
 * attributes as strings; `true` sets an empty attribute, `false`/null/undefined
 * leave it out. `on` adds event listeners. Children: nodes or text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: Child[] = [],
  on: { [E in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[E]) => void } = {},
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  for (const [type, listener] of Object.entries(on)) element.addEventListener(type, listener as EventListener);
  return element;
}

/** The element with `data-testid="{id}"` (the ids double as the page's stable hooks); throws when missing, a markup bug. */
export function byTestId<T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document): T {
  const element = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!element) throw new Error(`No element with data-testid="${id}"`);
  return element;
}

/** `10:42`, or `12 Mar 10:42` for another day, in the browser's locale and time zone. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

/** Appends `text` to `parent` with every case-insensitive occurrence of `term` in a `<mark>` (as text nodes, never HTML). */
export function highlight(parent: HTMLElement, text: string, term: string): HTMLElement {
  const needle = term.toLocaleLowerCase();
  const haystack = text.toLocaleLowerCase();
  let at = 0;
  // Lower-casing that changes the length (e.g. 'İ') would shift the offsets: show the text unmarked then.
  while (needle && haystack.length === text.length && at < text.length) {
    const found = haystack.indexOf(needle, at);
    if (found === -1) break;
    parent.append(text.slice(at, found), h('mark', {}, [text.slice(found, found + needle.length)]));
    at = found + needle.length;
  }
  parent.append(text.slice(at));
  return parent;
}
