/**
 * The chat page's script. `npm run build:ui` bundles it into ../client.generated.ts, which the
 * page inlines and allows by hash. The ids below are those of the page's HTML in ../page.ts.
 */
import { readConversation, readProblem, type ChatRequest, type ChatResponse, type ConversationList, type Delta, type Problem, type ProjectList } from './api.js';
import { serverEvents } from './events.js';
import { formatInstant, lang, problemMessage, t, type TextKey } from './i18n.js';
import { addMessage, chips, el, showDetails, showFailure, textOf, type ProjectView } from './messages.js';

// The page's own elements, known to exist.
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Kept in sessionStorage: this tab only, gone when it closes. */
const TOKEN_KEY = 'chat-api-token';
/** The last project used, kept per browser (localStorage): the page opens on it next time. */
const PROJECT_KEY = 'chat-api-project';
const claim = document.body.dataset.claim || 'user_id';
const log = $('log');
const intro = $('intro');
const projects = $<HTMLSelectElement>('project');
const question = $<HTMLTextAreaElement>('q');
const send = $<HTMLButtonElement>('send');
const history = $('history');
const status = $('status');
const authForm = $<HTMLFormElement>('auth');
const tokenInput = $<HTMLInputElement>('token');
const tokenError = $('token-error');
const newButton = $<HTMLButtonElement>('new');
// Only in development mode: a button holding the development token.
const devButton = document.getElementById('dev');

/** A project as listed, with the optional labels a project may provide for its data. */
type Listed = ProjectList[number] & { etiquetas?: Record<string, string>; formatos?: Record<string, string> };

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let conversation: string | null = null;
let busy = false;
let listed: Listed[] = [];

// The static texts of the page, in the browser's language.
document.documentElement.lang = lang;
for (const node of document.querySelectorAll<HTMLElement>('[data-t]')) node.textContent = t(node.dataset.t as TextKey);
$('log').setAttribute('aria-label', t('log'));

function say(text: string): void {
  status.textContent = text;
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

const projectOf = (slug: string) => listed.find((p) => p.proyecto === slug);

function viewOf(slug: string): ProjectView {
  const project = projectOf(slug);
  return { slug, labels: project?.etiquetas ?? {}, formats: project?.formatos ?? {} };
}

function signedIn(on: boolean): void {
  authForm.hidden = on;
  $('who').hidden = !on;
  projects.disabled = question.disabled = send.disabled = newButton.disabled = !on;
  renderIntro();
}

/** The token field's own error, next to it (and announced). */
function tokenProblem(text: string | null): void {
  tokenError.textContent = text ?? '';
  tokenError.hidden = !text;
  if (text) tokenInput.setAttribute('aria-invalid', 'true');
  else tokenInput.removeAttribute('aria-invalid');
}

/**
 * The project to open on: the one used last in this browser, else the first that suggests
 * questions (it answers from its data), else the first.
 */
function defaultProject(list: Listed[]): string | undefined {
  const remembered = localStorage.getItem(PROJECT_KEY);
  return (list.find((p) => p.proyecto === remembered) ?? list.find((p) => p.sugerencias?.length) ?? list[0])?.proyecto;
}

async function useToken(text?: string): Promise<void> {
  token = (text || '').trim();
  if (!token) {
    tokenProblem(t('tokenMissing'));
    tokenInput.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  let response: Response;
  try {
    response = await api('/api/v1/proyectos?idioma=' + lang);
  } catch (error) {
    forget();
    tokenProblem(t('offline', { detail: (error as Error).message }));
    return;
  }
  if (!response.ok) {
    const problem = await readProblem(response);
    forget();
    tokenProblem(response.status === 401 ? t('tokenRejected') : problemMessage(problem.type, problem.detail, problem.request_id));
    return;
  }
  tokenInput.value = '';
  tokenProblem(null);
  listed = (await response.json()) as Listed[];
  projects.replaceChildren(...listed.map((p) => new Option(p.nombre, p.proyecto)));
  const chosen = defaultProject(listed);
  if (chosen) projects.value = chosen;
  $('user').textContent = t('user', { id: userId() });
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
  listed = [];
  signedIn(false);
  history.replaceChildren();
  log.replaceChildren();
  renderIntro();
  tokenInput.focus();
}

function newConversation(): void {
  conversation = null;
  log.replaceChildren();
  markCurrent();
  renderIntro();
}

/** The first screen: how to start, or what to ask the selected project (its suggested questions, clickable). */
function renderIntro(): void {
  const empty = !log.querySelector('.msg');
  intro.hidden = !empty;
  if (!empty) return;
  if (!token || authForm.hidden === false) {
    intro.replaceChildren(el('h2', null, t('signedOutTitle')), el('p', null, t('signedOutHint')));
    if (devButton) intro.append(el('p', null, t('signedOutDevHint')));
    return;
  }
  const project = projectOf(projects.value);
  if (!project) {
    intro.replaceChildren(el('h2', null, t('noProjects')));
    return;
  }
  intro.replaceChildren(el('h2', null, t('introTitle', { project: project.nombre })));
  const suggestions = project.sugerencias ?? [];
  if (suggestions.length === 0) {
    intro.append(el('p', null, t('introNoSuggestions')));
    return;
  }
  intro.append(el('p', null, t('introSuggestions')), chips(suggestions, t('suggestions'), askThis));
}

function askThis(text: string): void {
  question.value = text;
  void ask();
}

function markCurrent(): void {
  for (const button of history.querySelectorAll('button')) {
    if (button.dataset.id === conversation) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
  }
}

const SOURCES: Record<string, TextKey> = { database: 'sourceDatabase', openai: 'sourceOpenai', documentos: 'sourceDocumentos' };

function showAnswer(message: HTMLElement, answer: ChatResponse): void {
  conversation = answer.conversacion_id;
  textOf(message).textContent = answer.respuesta;
  showDetails(message, answer, viewOf(answer.proyecto));
  const source = SOURCES[answer.fuente];
  message.append(el('small', null, (source ? t(source) : answer.fuente) + (answer.consulta ? ' · ' + answer.consulta : '')));
}

/**
 * What to do after a failure, when there is something to suggest: without a model, the questions
 * this project answers from its data, or else buttons to the projects that do (any other
 * project when none says so).
 */
function hintFor(type: string | undefined): (string | HTMLElement)[] | null {
  if (!type?.endsWith(':model-not-configured')) return null;
  const own = projectOf(projects.value)?.sugerencias ?? [];
  if (own.length) return [el('p', null, t('trySuggestions')), chips(own, t('suggestions'), askThis)];
  const others = listed.filter((p) => p.proyecto !== projects.value);
  const withData = others.filter((p) => p.sugerencias?.length);
  const offered = (withData.length ? withData : others).slice(0, 4);
  if (!offered.length) return null;
  const names = new Map(offered.map((p) => [p.nombre, p.proyecto]));
  return [
    el('p', null, t(withData.length ? 'tryProjects' : 'tryOtherProjects')),
    chips([...names.keys()], t('project'), (name) => {
      projects.value = names.get(name)!;
      projects.dispatchEvent(new Event('change'));
      question.focus();
    }),
  ];
}

function showProblem(message: HTMLElement, problem: Partial<Problem>): void {
  showFailure(message, problemMessage(problem.type, problem.detail, problem.request_id), hintFor(problem.type));
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
      showProblem(message, data as Problem);
      ended = true;
    }
  }
  if (!ended) showFailure(message, t('other', { detail: t('interrupted') }));
}

async function ask(): Promise<void> {
  const text = question.value.trim();
  if (!text || busy || !token) return;
  busy = true;
  send.disabled = true;
  log.setAttribute('aria-busy', 'true');
  say(t('answering'));
  addMessage(log, 'user', text);
  renderIntro();
  question.value = '';
  const message = addMessage(log, 'bot', '');
  const body: ChatRequest = { mensaje: text, usuario_id: userId(), proyecto: projects.value };
  localStorage.setItem(PROJECT_KEY, projects.value);
  if (conversation) body.conversacion_id = conversation;
  try {
    const response = await api('/api/v1/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
    if (response.ok && response.body && /event-stream/.test(response.headers.get('content-type') || '')) await showStream(response.body, message);
    else showProblem(message, await readProblem(response));
  } catch (error) {
    showFailure(message, t('offline', { detail: (error as Error).message }));
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
      const button = el('button');
      button.type = 'button';
      button.dataset.id = c.conversacion_id;
      button.title = c.titulo;
      const when = el('time', null, formatInstant(c.actualizado, true));
      when.dateTime = c.actualizado;
      const about = el('small', null, (projectOf(c.proyecto)?.nombre ?? c.proyecto) + ' · ');
      about.append(when);
      button.append(el('span', 'title', c.titulo), about);
      button.onclick = () => openConversation(c.conversacion_id);
      item.append(button);
      return item;
    }),
  );
  markCurrent();
}

async function openConversation(id: string): Promise<void> {
  const stored = await readConversation(api, id);
  if (stored instanceof Response) {
    const problem = await readProblem(stored);
    say(problemMessage(problem.type, problem.detail, problem.request_id));
    return;
  }
  projects.value = stored.proyecto;
  newConversation();
  conversation = stored.conversacion_id;
  const view = viewOf(stored.proyecto);
  for (const turn of stored.mensajes) {
    if (turn.rol === 'user') {
      addMessage(log, 'user', turn.contenido);
      continue;
    }
    const message = addMessage(log, 'bot', turn.contenido);
    message.dataset.done = '1';
    if (turn.error) showFailure(message, problemMessage(turn.error, undefined));
    else showDetails(message, turn, view);
  }
  renderIntro();
  markCurrent();
  question.focus();
}

authForm.onsubmit = (event) => {
  event.preventDefault();
  void useToken(tokenInput.value);
};
if (devButton) devButton.onclick = () => useToken(devButton.dataset.token);
tokenInput.oninput = () => tokenProblem(null);
$('logout').onclick = forget;
newButton.onclick = () => {
  newConversation();
  question.focus();
};
projects.onchange = () => {
  localStorage.setItem(PROJECT_KEY, projects.value);
  newConversation();
};
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
