/**
 * The chat page served at `/`: one self-contained HTML document (inline CSS and JS, no
 * framework, no build step, no external request). The Content-Security-Policy allows exactly
 * this page's inline style and script, by SHA-256 hash, and fetches to this origin only.
 */

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
[hidden]{display:none!important}
@media (max-width:720px){body{grid-template:"h" auto "s" auto "m" 1fr/100%}#pick{flex:1 1 100%}select{width:100%}aside{max-height:22vh;border-right:0;border-bottom:1px solid #d0d7de}header{padding:.5rem}#log{padding:.6rem}#ask{padding:.5rem}}`;

const SCRIPT = `const $=(id)=>document.getElementById(id),KEY="chat-api-token",claim=document.body.dataset.claim||"user_id";
const log=$("log"),sel=$("project"),q=$("q"),send=$("send"),hist=$("history");
let token=sessionStorage.getItem(KEY)||"",conv=null,busy=false;
function el(tag,cls,text){const e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e}
function say(text,err){$("status").textContent=text;$("status").className=err?"err":""}
function userId(){try{const b=atob(token.split(".")[1].replace(/-/g,"+").replace(/_/g,"/"));const p=JSON.parse(new TextDecoder().decode(Uint8Array.from(b,(c)=>c.charCodeAt(0))));return p[claim]==null?"":String(p[claim])}catch{return""}}
const api=(path,init={})=>fetch(path,{...init,headers:{Authorization:"Bearer "+token,...init.headers}});
async function problem(r){try{const p=await r.json();return p.detail||p.title||"HTTP "+r.status}catch{return"HTTP "+r.status}}
function signedIn(on){$("auth").hidden=on;$("who").hidden=!on;sel.disabled=q.disabled=send.disabled=!on;$("new").disabled=!on}
async function useToken(t){token=(t||"").trim();if(!token)return;sessionStorage.setItem(KEY,token);$("token").value="";
const r=await api("/api/v1/proyectos");
if(!r.ok){const d=await problem(r);forget();say(d,true);return}
const list=await r.json();sel.replaceChildren(...list.map((p)=>new Option(p.nombre+" ("+p.proyecto+")",p.proyecto)));
$("user").textContent="Usuario "+userId();signedIn(true);say("");newConversation();loadHistory();sel.focus()}
function forget(){sessionStorage.removeItem(KEY);token="";conv=null;signedIn(false);hist.replaceChildren();log.replaceChildren();$("token").focus()}
function newConversation(){conv=null;log.replaceChildren();mark()}
function mark(){for(const b of hist.querySelectorAll("button"))b.dataset.id===conv?b.setAttribute("aria-current","true"):b.removeAttribute("aria-current")}
function add(who,text){const m=el("div","msg "+who);m.append(el("b",null,who==="user"?"Tú":"Asistente"),el("div","text",text));log.append(m);log.scrollTop=log.scrollHeight;return m}
function fail(m,detail){m.classList.add("err");m.querySelector(".text").textContent="Error: "+detail}
function cell(v){return v==null?"":typeof v==="object"?JSON.stringify(v):String(v)}
function details(m,datos,sql,citas){
if(datos&&Array.isArray(datos.rows)){const rows=datos.rows,cols=rows.length?Object.keys(rows[0]):[],t=el("table"),h=el("tr");
for(const c of cols){const th=el("th",null,c);th.scope="col";h.append(th)}t.append(el("thead"),el("tbody"));t.tHead.append(h);
for(const r of rows){const tr=el("tr");for(const c of cols)tr.append(el("td",null,cell(r[c])));t.tBodies[0].append(tr)}
const w=el("div","scroll");w.append(t);m.append(w)}
else if(datos){const dl=el("dl");for(const[k,v]of Object.entries(datos))if(typeof v!=="object"){const d=el("div");d.append(el("dt",null,k),el("dd",null,cell(v)));dl.append(d)}m.append(dl)}
if(sql){const p=el("pre");p.append(el("code",null,sql));m.append(p)}
if(citas&&citas.length){const ol=el("ol","cites");ol.setAttribute("aria-label","Fuentes");for(const c of citas){const li=el("li");li.append(el("b",null,c.titulo+": "),el("span",null,c.fragmento.length>200?c.fragmento.slice(0,200)+"…":c.fragmento));ol.append(li)}m.append(ol)}}
function show(m,a){conv=a.conversacion_id;m.querySelector(".text").textContent=a.respuesta;details(m,a.datos,a.sql,a.citas);
m.append(el("small",null,a.fuente+(a.consulta?" · "+a.consulta:"")))}
async function stream(r,m){const reader=r.body.pipeThrough(new TextDecoderStream()).getReader();let buf="",ended=false;
for(;;){const{value,done}=await reader.read();if(done)break;buf+=value.replace(/\\r/g,"");let i;
while((i=buf.indexOf("\\n\\n"))>=0){const block=buf.slice(0,i);buf=buf.slice(i+2);let ev="message";const data=[];
for(const line of block.split("\\n")){if(line.startsWith("event:"))ev=line.slice(6).trim();else if(line.startsWith("data:"))data.push(line.slice(5).replace(/^ /,""))}
let d;try{d=JSON.parse(data.join("\\n"))}catch{continue}
if(ev==="delta")m.querySelector(".text").textContent+=d.texto;else if(ev==="answer"){show(m,d);ended=true}else if(ev==="error"){fail(m,d.detail);ended=true}}}
if(!ended)fail(m,"la respuesta se interrumpió")}
async function ask(){const text=q.value.trim();if(!text||busy||!token)return;busy=true;send.disabled=true;log.setAttribute("aria-busy","true");say("Respondiendo…");
add("user",text);q.value="";const m=add("bot","");const body={mensaje:text,usuario_id:userId(),proyecto:sel.value};if(conv)body.conversacion_id=conv;
try{const r=await api("/api/v1/chat",{method:"POST",headers:{"Content-Type":"application/json",Accept:"text/event-stream"},body:JSON.stringify(body)});
if(!r.ok||!/event-stream/.test(r.headers.get("content-type")||""))fail(m,await problem(r));else await stream(r,m)}catch(e){fail(m,"sin conexión ("+e.message+")")}
m.dataset.done="1";busy=false;send.disabled=false;log.removeAttribute("aria-busy");say("");log.scrollTop=log.scrollHeight;q.focus();loadHistory()}
async function loadHistory(){const r=await api("/api/v1/conversaciones");if(!r.ok)return;const list=await r.json();
hist.replaceChildren(...list.map((c)=>{const li=el("li"),b=el("button",null,c.titulo);b.type="button";b.dataset.id=c.conversacion_id;
b.append(el("small",null,c.proyecto+" · "+new Date(c.actualizado).toLocaleString()));b.onclick=()=>openConv(c.conversacion_id);li.append(b);return li}));mark()}
async function openConv(id){const r=await api("/api/v1/conversaciones/"+encodeURIComponent(id));if(!r.ok){say(await problem(r),true);return}
const c=await r.json();newConversation();conv=c.conversacion_id;sel.value=c.proyecto;
for(const x of c.mensajes){if(x.rol==="user"){add("user",x.contenido);continue}const m=add("bot",x.contenido);m.dataset.done="1";if(x.error)fail(m,x.error);else details(m,x.datos)}
mark();q.focus()}
$("auth").onsubmit=(e)=>{e.preventDefault();useToken($("token").value)};
$("dev")?.addEventListener("click",(e)=>useToken(e.currentTarget.dataset.token));
$("logout").onclick=forget;$("new").onclick=()=>{newConversation();q.focus()};sel.onchange=newConversation;
$("ask").onsubmit=(e)=>{e.preventDefault();ask()};
q.onkeydown=(e)=>{if(e.key==="Enter"&&!e.shiftKey&&!e.isComposing){e.preventDefault();ask()}};
signedIn(false);if(token)useToken(token);else $("token").focus();`;

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
    ? `<button type="button" class="alt" id="dev" data-token="${escapeAttribute(options.devToken)}">Usar el token de desarrollo</button>`
    : '';
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
<div><label for="token">Token de acceso</label><input id="token" type="password" spellcheck="false" required></div>
<button>Usar token</button>${devButton}
</form>
<div id="who" class="row" hidden><span id="user"></span><button type="button" class="alt" id="logout">Cambiar token</button></div>
<div id="pick"><label for="project">Proyecto</label><select id="project"></select></div>
</header>
<aside aria-labelledby="hist-title">
<h2 id="hist-title">Conversaciones</h2>
<button type="button" class="alt" id="new">Nueva conversación</button>
<ul id="history"></ul>
</aside>
<main>
<div id="log" role="log" aria-live="polite" aria-label="Conversación" tabindex="-1"></div>
<p id="status" role="status"></p>
<form id="ask">
<div><label for="q">Pregunta <small>(Enter envía, Mayús+Enter nueva línea)</small></label><textarea id="q" rows="2" maxlength="4000"></textarea></div>
<button id="send">Enviar</button>
</form>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;
  const csp = [
    "default-src 'none'",
    `script-src ${await sha256Source(SCRIPT)}`,
    `style-src ${await sha256Source(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
