import type { Citation } from './api.js';

/** Longer cited passages are cut here: the citation names its document. */
const CITATION_CHARS = 200;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string | null, text?: string | null): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text != null) element.textContent = text;
  return element;
}

/** Appends a turn to the log and scrolls to it; its text goes in the `.text` child. */
export function addMessage(log: HTMLElement, who: 'user' | 'bot', text: string): HTMLDivElement {
  const message = el('div', 'msg ' + who);
  message.append(el('b', null, who === 'user' ? 'Tú' : 'Asistente'), el('div', 'text', text));
  log.append(message);
  log.scrollTop = log.scrollHeight;
  return message;
}

// Every message comes from addMessage, which gives it its `.text` child.
export const textOf = (message: HTMLElement) => message.querySelector('.text') as HTMLElement;

export function showFailure(message: HTMLElement, detail: string): void {
  message.classList.add('err');
  textOf(message).textContent = 'Error: ' + detail;
}

const cell = (value: unknown) => (value == null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/** An answer's data (rows as a table, other values as a list), its SQL and its citations. */
export function showDetails(message: HTMLElement, datos?: Record<string, unknown>, sql?: string, citas?: Citation[]): void {
  if (datos && Array.isArray(datos.rows)) {
    const rows = datos.rows as Record<string, unknown>[];
    const first = rows[0];
    const columns = first ? Object.keys(first) : [];
    const table = el('table');
    const head = el('thead');
    const body = el('tbody');
    const header = el('tr');
    for (const column of columns) {
      const th = el('th', null, column);
      th.scope = 'col';
      header.append(th);
    }
    head.append(header);
    for (const row of rows) {
      const tr = el('tr');
      for (const column of columns) tr.append(el('td', null, cell(row[column])));
      body.append(tr);
    }
    table.append(head, body);
    const wrapper = el('div', 'scroll');
    wrapper.append(table);
    message.append(wrapper);
  } else if (datos) {
    const list = el('dl');
    for (const [key, value] of Object.entries(datos)) {
      if (typeof value === 'object') continue;
      const pair = el('div');
      pair.append(el('dt', null, key), el('dd', null, cell(value)));
      list.append(pair);
    }
    message.append(list);
  }
  if (sql) {
    const pre = el('pre');
    pre.append(el('code', null, sql));
    message.append(pre);
  }
  if (citas && citas.length) {
    const list = el('ol', 'cites');
    list.setAttribute('aria-label', 'Fuentes');
    for (const cita of citas) {
      const item = el('li');
      const passage = cita.fragmento.length > CITATION_CHARS ? cita.fragmento.slice(0, CITATION_CHARS) + '…' : cita.fragmento;
      item.append(el('b', null, cita.titulo + ': '), el('span', null, passage));
      list.append(item);
    }
    message.append(list);
  }
}
