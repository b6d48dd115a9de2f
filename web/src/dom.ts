/** Small DOM helpers for the playground (no framework: the page is a few forms and tables). */

type Child = Node | string | number | null | undefined | false;

/** `h('div', { class: 'x', 'data-name': 'output' }, 'text', child)`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/** The element with this id, or an error naming it (the page and its script disagree). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`playground: #${id} is missing from index.html`);
  return el as T;
}

/** A file picker (`<input type="file">`) and a drop zone that both hand the chosen file to `take`. */
export function onFileChosen(inputId: string, dropId: string, take: (file: File) => void): void {
  byId<HTMLInputElement>(inputId).addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) take(file);
  });
  const drop = byId(dropId);
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) take(file);
  });
}

/** Numbers as people read them: 12,345. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Copy text to the clipboard (falls back to selecting the text where the clipboard is refused). */
export async function copyText(text: string, button: HTMLButtonElement, pre: HTMLElement): Promise<void> {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const sel = getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}
