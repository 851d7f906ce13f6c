/**
 * The chat page's script. `npm run build:ui` bundles it into ../client.generated.ts, which the
 * page inlines and allows by hash. The ids below are those of the page's HTML in ../page.ts.
 */
import { problemText, type ChatRequest, type ChatResponse, type Conversation, type ConversationList, type Delta, type Problem, type ProjectList } from './api.js';
import { serverEvents } from './events.js';
import { addMessage, el, showDetails, showFailure, textOf } from './messages.js';

// The page's own elements, known to exist.
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Kept in sessionStorage: this tab only, gone when it closes. */
const TOKEN_KEY = 'chat-api-token';
const claim = document.body.dataset.claim || 'user_id';
const log = $('log');
const projects = $<HTMLSelectElement>('project');
const question = $<HTMLTextAreaElement>('q');
const send = $<HTMLButtonElement>('send');
const history = $('history');
const status = $('status');
const authForm = $<HTMLFormElement>('auth');
const tokenInput = $<HTMLInputElement>('token');
const newButton = $<HTMLButtonElement>('new');

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let conversation: string | null = null;
let busy = false;

function say(text: string, error?: boolean): void {
  status.textContent = text;
  status.className = error ? 'err' : '';
}

/** The token's user claim, sent back as `usuario_id`; the server checks the token itself. */
function userId(): string {
  try {
    const binary = atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/'));
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))) as Record<string, unknown>;
    return payload[claim] == null ? '' : String(payload[claim]);
  } catch {
    return '';
  }
}

const api = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(path, { ...init, headers: { Authorization: 'Bearer ' + token, ...init.headers } });

function signedIn(on: boolean): void {
  authForm.hidden = on;
  $('who').hidden = !on;
  projects.disabled = question.disabled = send.disabled = newButton.disabled = !on;
}

async function useToken(text?: string): Promise<void> {
  token = (text || '').trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  tokenInput.value = '';
  const response = await api('/api/v1/proyectos');
  if (!response.ok) {
    const detail = await problemText(response);
    forget();
    say(detail, true);
    return;
  }
  const list = (await response.json()) as ProjectList;
  projects.replaceChildren(...list.map((p) => new Option(p.nombre + ' (' + p.proyecto + ')', p.proyecto)));
  $('user').textContent = 'Usuario ' + userId();
  signedIn(true);
  say('');
  newConversation();
  void loadHistory();
  projects.focus();
}

function forget(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  conversation = null;
  signedIn(false);
  history.replaceChildren();
  log.replaceChildren();
  tokenInput.focus();
}

function newConversation(): void {
  conversation = null;
  log.replaceChildren();
  markCurrent();
}

function markCurrent(): void {
  for (const button of history.querySelectorAll('button')) {
    if (button.dataset.id === conversation) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}

function showAnswer(message: HTMLElement, answer: ChatResponse): void {
  conversation = answer.conversacion_id;
  textOf(message).textContent = answer.respuesta;
  showDetails(message, answer.datos, answer.sql, answer.citas);
  message.append(el('small', null, answer.fuente + (answer.consulta ? ' · ' + answer.consulta : '')));
}

/** Shows the streamed text as it arrives, then the answer; the stream must end in one or the other. */
async function showStream(body: ReadableStream<BufferSource>, message: HTMLElement): Promise<void> {
  let ended = false;
  for await (const { event, data } of serverEvents(body)) {
    if (event === 'delta') textOf(message).textContent += (data as Delta).texto;
    else if (event === 'answer') {
      showAnswer(message, data as ChatResponse);
      ended = true;
    } else if (event === 'error') {
      showFailure(message, (data as Problem).detail);
      ended = true;
    }
  }
  if (!ended) showFailure(message, 'la respuesta se interrumpió');
}

async function ask(): Promise<void> {
  const text = question.value.trim();
  if (!text || busy || !token) return;
  busy = true;
  send.disabled = true;
  log.setAttribute('aria-busy', 'true');
  say('Respondiendo…');
  addMessage(log, 'user', text);
  question.value = '';
  const message = addMessage(log, 'bot', '');
  const body: ChatRequest = { mensaje: text, usuario_id: userId(), proyecto: projects.value };
  if (conversation) body.conversacion_id = conversation;
  try {
    const response = await api('/api/v1/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
    if (response.ok && response.body && /event-stream/.test(response.headers.get('content-type') || '')) await showStream(response.body, message);
    else showFailure(message, await problemText(response));
  } catch (error) {
    showFailure(message, 'sin conexión (' + (error as Error).message + ')');
  }
  // The end-to-end test waits for this mark.
  message.dataset.done = '1';
  busy = false;
  send.disabled = false;
  log.removeAttribute('aria-busy');
  say('');
  log.scrollTop = log.scrollHeight;
  question.focus();
  void loadHistory();
}

async function loadHistory(): Promise<void> {
  const response = await api('/api/v1/conversaciones');
  if (!response.ok) return;
  const list = (await response.json()) as ConversationList;
  history.replaceChildren(
    ...list.map((c) => {
      const item = el('li');
      const button = el('button', null, c.titulo);
      button.type = 'button';
      button.dataset.id = c.conversacion_id;
      button.append(el('small', null, c.proyecto + ' · ' + new Date(c.actualizado).toLocaleString()));
      button.onclick = () => openConversation(c.conversacion_id);
      item.append(button);
      return item;
    }),
  );
  markCurrent();
}

async function openConversation(id: string): Promise<void> {
  const response = await api('/api/v1/conversaciones/' + encodeURIComponent(id));
  if (!response.ok) {
    say(await problemText(response), true);
    return;
  }
  const stored = (await response.json()) as Conversation;
  newConversation();
  conversation = stored.conversacion_id;
  projects.value = stored.proyecto;
  for (const turn of stored.mensajes) {
    if (turn.rol === 'user') {
      addMessage(log, 'user', turn.contenido);
      continue;
    }
    const message = addMessage(log, 'bot', turn.contenido);
    message.dataset.done = '1';
    if (turn.error) showFailure(message, turn.error);
    else showDetails(message, turn.datos);
  }
  markCurrent();
  question.focus();
}

authForm.onsubmit = (event) => {
  event.preventDefault();
  void useToken(tokenInput.value);
};
// Only in development mode: a button holding the development token.
const devButton = document.getElementById('dev');
if (devButton) devButton.onclick = () => useToken(devButton.dataset.token);
$('logout').onclick = forget;
newButton.onclick = () => {
  newConversation();
  question.focus();
};
projects.onchange = newConversation;
$<HTMLFormElement>('ask').onsubmit = (event) => {
  event.preventDefault();
  void ask();
};
question.onkeydown = (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void ask();
  }
};

signedIn(false);
if (token) void useToken(token);
else tokenInput.focus();
