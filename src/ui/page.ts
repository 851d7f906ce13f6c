/**
 * The chat page served at `/`: one self-contained HTML document (inline CSS and JS, no
 * framework, no external request). The Content-Security-Policy allows exactly this page's
 * inline style and script, by SHA-256 hash, and fetches to this origin only. The script is
 * written in ./client/ and bundled into ./client.generated.ts by `npm run build:ui`.
 */
import { CLIENT_SCRIPT } from './client.generated.js';

const STYLE = `*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f4f5f7;display:grid;grid-template:"h h" auto "s m" 1fr/16rem 1fr;height:100vh;height:100dvh}
header{grid-area:h;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;padding:.6rem 1rem;background:#fff;border-bottom:1px solid #d0d7de}
h1{font-size:1.1rem;margin:0 auto 0 0;align-self:center}
#pick{min-width:0;max-width:100%}select{max-width:100%}
h2{font-size:.95rem;margin:.2rem 0 .5rem}
label{display:block;font-size:.8rem;font-weight:600}
form{margin:0}
input,select,textarea,button{font:inherit;border:1px solid #8c959f;border-radius:6px;padding:.35rem .55rem;background:#fff;color:inherit}
button{cursor:pointer;background:#0969da;border-color:#0969da;color:#fff}
button.alt{background:#fff;color:#0969da}
button:disabled,select:disabled,textarea:disabled{opacity:.55;cursor:default}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.row{display:flex;gap:.4rem;align-items:end;flex-wrap:wrap}
aside{grid-area:s;overflow:auto;padding:.6rem;background:#fff;border-right:1px solid #d0d7de}
aside ul{list-style:none;margin:.5rem 0 0;padding:0}
aside li button{display:block;width:100%;text-align:left;margin:0 0 .3rem;background:#fff;color:inherit;border-color:#d0d7de;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
aside li button[aria-current]{border-color:#0969da;background:#ddf4ff}
aside small{display:block;color:#57606a;font-size:.75rem}
main{grid-area:m;display:flex;flex-direction:column;min-height:0;min-width:0}
#log{flex:1;overflow:auto;padding:1rem}
.msg{max-width:48rem;margin:0 0 .8rem;padding:.5rem .75rem;border-radius:8px;background:#fff;border:1px solid #d0d7de;overflow-wrap:anywhere}
.msg.user{margin-left:auto;background:#ddf4ff;border-color:#b6e3ff}
.msg b{display:block;font-size:.75rem;color:#57606a}
.msg .text{white-space:pre-wrap}
.msg.err{border-color:#cf222e;background:#ffebe9}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.2rem .45rem;text-align:left}
pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;font-size:.8rem}
dl{display:flex;gap:1rem;margin:.4rem 0}dd{margin:0;font-weight:600}
#ask{display:flex;gap:.5rem;align-items:end;padding:.6rem 1rem;background:#fff;border-top:1px solid #d0d7de}
#ask div{flex:1}#q{width:100%;resize:vertical}
#status{margin:0;padding:0 1rem;font-size:.85rem;min-height:1.2em}#status.err{color:#cf222e}
#token-error{flex:1 1 100%;margin:0;color:#a40e26;font-size:.85rem;font-weight:600}
#token[aria-invalid]{border-color:#cf222e;outline-color:#cf222e}
#log:empty{flex:0;padding:0}
#intro{flex:1;overflow:auto;padding:0 1rem 1rem;max-width:52rem}
#intro h2{font-size:1.15rem;margin:1rem 0 .4rem}
#intro p{margin:.3rem 0;color:#424a53}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;margin:.7rem 0 0;padding:0}
.chip{background:#fff;color:#0550ae;border-color:#54aeff;border-radius:999px;padding:.35rem .8rem;text-align:left}
.chip:hover{background:#ddf4ff}
.msg .hint{margin:.4rem 0 0;color:#424a53;font-size:.9rem}.msg .hint p{margin:.2rem 0}.msg .chips{margin-top:.3rem}
.msg small{display:block;color:#57606a;font-size:.75rem;margin-top:.3rem}
.num{text-align:right;font-variant-numeric:tabular-nums}
.data{margin:.4rem 0}
figure{margin:.5rem 0}
.chart{display:block;width:100%;max-width:40rem;height:auto;font-size:13px}
.chart .bar{fill:#0969da}.chart .label,.chart .value,.chart .axis{fill:#1b1f24}.chart .axis{font-size:12px;fill:#57606a}
.chart .grid{stroke:#d0d7de}.chart .path{fill:none;stroke:#0969da;stroke-width:2}.chart .point{fill:#0969da}
details summary{cursor:pointer;color:#0550ae;font-size:.85rem}
button.csv{font-size:.8rem;padding:.15rem .6rem;margin-top:.3rem}
aside li button{white-space:normal}
aside li .title{display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
aside time{white-space:nowrap}
[hidden]{display:none!important}
@media (max-width:720px){body{grid-template:"h" auto "s" auto "m" 1fr/100%}#pick{flex:1 1 100%}select{width:100%}aside{max-height:22vh;border-right:0;border-bottom:1px solid #d0d7de}header{padding:.5rem}#log{padding:.6rem}#ask{padding:.5rem}#intro{padding:0 .6rem .6rem}}`;


export type PageOptions = {
  /** Development mode only: the generated token, offered by a button. Never set otherwise. */
  devToken?: string;
  /** The token claim that holds the user id (JWT_USER_ID_CLAIM), sent back as `usuario_id`. */
  userIdClaim: string;
};

export type Page = { html: string; csp: string };

const escapeAttribute = (value: string) =>
  value.replace(/[&"'<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

/** The page and its Content-Security-Policy (hashes of its one inline style and one inline script). */
export async function renderPage(options: PageOptions): Promise<Page> {
  const devButton = options.devToken
    ? `<button type="button" class="alt" id="dev" data-token="${escapeAttribute(options.devToken)}" data-t="useDevToken">Usar el token de desarrollo</button>`
    : '';
  // The texts below are the Spanish ones; the script puts every [data-t] text in the browser's language.
  const html = `<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Chat API</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-claim="${escapeAttribute(options.userIdClaim)}">
<header>
<h1>Chat API</h1>
<form id="auth" class="row" autocomplete="off">
<div><label for="token" data-t="tokenLabel">Token de acceso</label><input id="token" type="password" spellcheck="false" aria-describedby="token-error"></div>
<button data-t="useToken">Usar token</button>${devButton}
<p id="token-error" role="alert" hidden></p>
</form>
<div id="who" class="row" hidden><span id="user"></span><button type="button" class="alt" id="logout" data-t="changeToken">Cambiar token</button></div>
<div id="pick"><label for="project" data-t="project">Proyecto</label><select id="project"></select></div>
</header>
<aside aria-labelledby="hist-title">
<h2 id="hist-title" data-t="conversations">Conversaciones</h2>
<button type="button" class="alt" id="new" data-t="newConversation">Nueva conversación</button>
<ul id="history"></ul>
</aside>
<main>
<div id="log" role="log" aria-live="polite" aria-label="Conversación" tabindex="-1"></div>
<section id="intro" aria-live="polite"></section>
<p id="status" role="status"></p>
<form id="ask">
<div><label for="q"><span data-t="question">Pregunta</span> <small data-t="keysHint">(Enter envía, Mayús+Enter nueva línea)</small></label><textarea id="q" rows="2" maxlength="4000"></textarea></div>
<button id="send" data-t="send">Enviar</button>
</form>
</main>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>`;
  const csp = [
    "default-src 'none'",
    `script-src ${await sha256Source(CLIENT_SCRIPT)}`,
    `style-src ${await sha256Source(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
