// ssed's built-in page at GET /: watch topics live (every event type, with its id and time),
// pick topics from /topics, pause, clear, filter, and publish a line. Self-contained (inline
// CSS and JS, no external assets), so it works offline and under a strict CSP of the embedding
// site's choosing. Everything that comes from the stream or /topics is set with textContent,
// never parsed as HTML.
#include "ssed/http_api.hpp"

namespace ssekit {

std::string_view index_page_html() {
    return R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssed</title>
<style>
  :root { color-scheme: dark; --bg: #0d1117; --panel: #161b22; --fg: #c9d1d9; --dim: #8b949e;
          --line: #30363d; --acc: #58a6ff; --ok: #3fb950; --warn: #d29922; --err: #f85149; }
  * { box-sizing: border-box; }
  body { margin: 0; height: 100vh; display: flex; flex-direction: column; background: var(--bg);
         color: var(--fg); font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
  .bar { display: flex; flex-wrap: wrap; gap: .4em .6em; align-items: center; padding: .45em .8em;
         border-bottom: 1px solid var(--line); background: var(--panel); }
  .bar b { color: var(--acc); margin-right: .4em; }
  input, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
                  border-radius: 3px; padding: .15em .5em; }
  button { cursor: pointer; } button:hover:not(:disabled) { border-color: var(--acc); }
  button:disabled { color: var(--dim); cursor: default; }
  button.on { border-color: var(--warn); color: var(--warn); }
  .dim, .bar label { color: var(--dim); }
  #topics { width: 18em; } #token, #ptoken { width: 11em; } #filter { width: 16em; } #pdata { flex: 1; min-width: 12em; }
  #state::before { content: "\25CF  "; } #state { color: var(--dim); }
  #state[data-state=live] { color: var(--ok); } #state[data-state=connecting] { color: var(--acc); }
  #state[data-state=reconnecting] { color: var(--warn); } #state[data-state=failed] { color: var(--err); }
  #topiclist label { color: var(--fg); border: 1px solid var(--line); border-radius: 3px; padding: 0 .4em; cursor: pointer; }
  #topiclist input { margin: 0 .3em 0 0; vertical-align: -1px; }
  #log { flex: 1; overflow: auto; padding: .3em .8em; }
  .ev { padding: .1em 0; border-bottom: 1px solid #161b2280; }
  .ev .time, .ev .id { color: var(--dim); } .ev .type { font-weight: bold; color: var(--fg); }
  .ev .time { margin-right: 1em; } .ev .type { display: inline-block; min-width: 9ch; margin-right: 1em; }
  .ev.sys .type { display: none; }
  .ev .data { margin: 0 0 0 2em; white-space: pre-wrap; overflow-wrap: anywhere; }
  .ev.json .data { color: #a5d6ff; }
  .ev.gap { color: var(--warn); } .ev.gap .type { color: var(--warn); }
  .ev.sys { color: var(--dim); font-style: italic; } .ev.sys.err { color: var(--err); }
  .bar.pub { border-top: 1px solid var(--line); border-bottom: 0; }
  footer { padding: .3em .8em; border-top: 1px solid var(--line); }
  code { color: var(--fg); }
</style>
</head>
<body>
<div class="bar">
  <b>ssed</b>
  <label>topics <input id="topics" type="text" spellcheck="false" placeholder="a,b"></label>
  <label>token <input id="token" type="password" placeholder="subscribe token"></label>
  <button id="watch">Watch</button><button id="stop" disabled>Stop</button>
  <span id="state" data-state="idle">idle</span><span class="dim">last id <span id="lastid">-</span></span>
</div>
<div class="bar"><label>server topics</label><span id="topiclist" class="dim"></span><button id="refresh">Refresh</button></div>
<div class="bar">
  <button id="pause">Pause</button><button id="clear">Clear</button>
  <label>filter <input id="filter" type="search" spellcheck="false" placeholder="type, id or data"></label>
  <span id="count" class="dim">0 events</span>
</div>
<div id="log" aria-live="polite"></div>
<div class="bar pub">
  <label>publish to <input id="ptopic" type="text" value="demo" style="width:9em"></label>
  <label>event <input id="pevent" type="text" placeholder="message" style="width:8em"></label>
  <input id="pdata" type="text" value="hello" aria-label="data">
  <input id="ptoken" type="password" placeholder="publish token">
  <button id="publish">Publish</button><span id="pstate" class="dim"></span>
</div>
<footer class="dim">API <code>GET|POST /events/{topic}</code> <code>GET /topics</code> <code>/metrics</code>
<code>/healthz</code> &middot; this page <code>/?topic=a,b&amp;access_token=T</code> &middot; ssed(1)</footer>
<script>
"use strict";
// Why fetch() and a parser here rather than EventSource: an EventSource hands a named event
// only to a listener added for that exact type, so a page that cannot know the types in
// advance would show "message" alone. Reading the stream with fetch() and parsing it (the
// WHATWG event-stream rules, below) shows every type as it arrives, sends the token as an
// Authorization header rather than in the URL, and resumes with a Last-Event-ID header. The
// price is doing the reconnection ourselves, which also lets the page show it.
const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const MAX_ROWS = 2000;
let ctl = null;                 // the AbortController of the current watch; null when stopped
let lastId = "", retryMs = 3000;
let paused = false, held = [], total = 0;

function setState(state, text) {
  $("state").dataset.state = state;
  $("state").textContent = text || state;
}
function authHeaders() {
  const t = $("token").value.trim();
  return t ? { Authorization: "Bearer " + t } : {};
}
function topicsWanted() {
  return [...new Set($("topics").value.split(",").map((t) => t.trim()).filter((t) => t))];
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function clock() {
  const d = new Date();
  return d.toTimeString().slice(0, 8) + "." + String(d.getMilliseconds()).padStart(3, "0");
}
function hue(s) {  // a stable colour per event type
  let h = 0;
  for (const c of s) h = (h * 31 + c.codePointAt(0)) % 360;
  return "hsl(" + h + " 70% 70%)";
}

// ---- the log ----
function row(kind, type, id, data) {
  const r = el("div", "ev " + kind);
  r.dataset.type = type;
  r.dataset.id = id;
  r.append(el("span", "time", clock()), el("span", "type", type === "--" ? "" : type));
  if (kind === "" && type !== "message") r.lastChild.style.color = hue(type);
  if (id) r.append(el("span", "id", "id " + id));
  let text = data;
  if (kind === "") {
    try {
      const v = JSON.parse(data);
      if (v !== null && typeof v === "object") { text = JSON.stringify(v, null, 2); r.classList.add("json"); }
    } catch (e) { /* not JSON: shown as sent */ }
  }
  r.append(el(kind.startsWith("sys") ? "span" : "div", "data", text));
  return r;
}
function show(r) {
  if (paused && !r.classList.contains("sys")) {
    held.push(r);
    if (held.length > MAX_ROWS) held.shift();
    $("pause").textContent = "Resume (" + held.length + " new)";
    return;
  }
  const log = $("log");
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  r.hidden = !matches(r);
  log.append(r);
  if (!r.classList.contains("sys")) total++;
  while (log.childElementCount > MAX_ROWS) log.firstElementChild.remove();
  if (atEnd) log.scrollTop = log.scrollHeight;
  count();
}
function note(text, err) { show(row("sys" + (err ? " err" : ""), "--", "", text)); }  // the page's own lines
function matches(r) {
  const f = $("filter").value.trim().toLowerCase();
  return !f || r.classList.contains("sys") || r.textContent.toLowerCase().includes(f);
}
function count() {
  const rows = [...$("log").querySelectorAll(".ev:not(.sys)")];
  const shown = rows.filter((r) => !r.hidden).length;
  $("count").textContent = total + " events" + (shown < rows.length ? ", " + shown + " match" : "") +
    (rows.length < total ? " (" + rows.length + " kept)" : "");
}
function onEvent(type, id, data) {
  if (type === "ssed-gap") {  // ssed could not resume from our id: say why, it replays what it has
    let why = data;
    try { const g = JSON.parse(data); why = g.reason + " (last id " + g.last_event_id + ")"; } catch (e) {}
    show(row("gap", "ssed-gap", "", "events may be missing: " + why + "; replaying what the server keeps"));
  } else {
    show(row("", type, id, data));
  }
}

// ---- the stream: WHATWG "Interpreting an event stream" ----
function parser(dispatch) {
  let buf = "", data = [], type = "", idBuf = lastId;
  function line(l) {
    if (l === "") {
      lastId = idBuf;
      $("lastid").textContent = lastId || "-";
      if (data.length) dispatch(type || "message", lastId, data.join("\n"));
      data = []; type = "";
      return;
    }
    if (l[0] === ":") return;  // a comment: ssed's heartbeat
    const c = l.indexOf(":");
    const name = c < 0 ? l : l.slice(0, c);
    let value = c < 0 ? "" : l.slice(c + 1);
    if (value[0] === " ") value = value.slice(1);
    if (name === "data") data.push(value);
    else if (name === "event") type = value;
    else if (name === "id" && !value.includes("\0")) idBuf = value;
    else if (name === "retry" && /^[0-9]+$/.test(value)) retryMs = Number(value);
  }
  return (text) => {
    buf += text;
    let i;
    while ((i = buf.search(/[\r\n]/)) >= 0) {
      if (buf[i] === "\r" && i + 1 === buf.length) break;  // maybe half of a CRLF
      line(buf.slice(0, i));
      buf = buf.slice(i + (buf[i] === "\r" && buf[i + 1] === "\n" ? 2 : 1));
    }
  };
}

async function stream(topics, signal) {
  const headers = Object.assign({ Accept: "text/event-stream" }, authHeaders());
  if (lastId) headers["Last-Event-ID"] = lastId;
  const res = await fetch("/events/" + topics.map(encodeURIComponent).join(","), { headers, signal, cache: "no-store" });
  const type = res.headers.get("Content-Type") || "";
  if (res.status !== 200 || !type.startsWith("text/event-stream")) {
    let msg = "HTTP " + res.status;
    try { msg += ": " + (await res.json()).error; } catch (e) {}
    const err = new Error(msg);
    err.fatal = res.status < 500 && res.status !== 429;  // a bad token or topic will not mend itself
    throw err;
  }
  setState("live", "live: " + topics.join(", "));
  loadTopics();  // ours are on the server now
  note("connected to " + topics.join(", ") + (headers["Last-Event-ID"] ? ", resuming after " + lastId : ""));
  const feed = parser(onEvent);
  const reader = res.body.getReader(), decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    feed(decoder.decode(value, { stream: true }));
  }
}

async function run(topics, c) {
  let failures = 0;
  while (!c.signal.aborted) {
    setState("connecting", "connecting: " + topics.join(", "));
    try {
      await stream(topics, c.signal);
      failures = 0;
      note("the server ended the stream");
    } catch (e) {
      if (c.signal.aborted) return;
      if (e.fatal) { note(e.message, true); setState("failed", "failed: " + e.message); done(); return; }
      failures++;
      if (failures === 1) note("connection lost: " + e.message, true);
    }
    if (c.signal.aborted) return;
    const wait = Math.min(retryMs * 2 ** Math.max(0, failures - 1), 30000) * (1 + Math.random() * 0.2);
    setState("reconnecting", "reconnecting in " + (wait / 1000).toFixed(1) + " s" + (failures > 1 ? " (try " + failures + ")" : ""));
    await new Promise((ok) => { const t = setTimeout(ok, wait); c.signal.addEventListener("abort", () => { clearTimeout(t); ok(); }); });
  }
}

function done() { ctl = null; $("stop").disabled = true; }
function watch() {
  const topics = topicsWanted();
  if (ctl) ctl.abort();
  if (!topics.length) { note("no topic given", true); setState("idle"); done(); return; }
  $("topics").value = topics.join(",");
  const u = new URLSearchParams({ topic: topics.join(",") });
  if (query.has("access_token")) u.set("access_token", query.get("access_token"));
  history.replaceState(null, "", "?" + u.toString().replace(/%2C/g, ","));
  lastId = "";  // a new watch starts live; only a reconnection resumes
  $("lastid").textContent = "-";
  ctl = new AbortController();
  $("stop").disabled = false;
  markTopics();
  run(topics, ctl);
}

// ---- the topic list ----
async function loadTopics() {
  const list = $("topiclist");
  try {
    const res = await fetch("/topics", { headers: authHeaders(), cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const topics = await res.json();
    list.replaceChildren();
    if (!topics.length) list.textContent = "no topics yet";
    for (const t of topics) {
      const box = el("input");
      box.type = "checkbox";
      box.value = t.topic;
      box.onchange = () => {
        const want = topicsWanted().filter((x) => x !== t.topic);
        if (box.checked) want.push(t.topic);
        $("topics").value = want.join(",");
        watch();
      };
      const label = el("label", "", "");
      label.title = t.subscribers + " subscriber(s), " + t.published + " published, last id " + (t.last_id || "-");
      label.append(box, t.topic + " ", el("span", "dim", t.published));
      list.append(label, " ");
    }
    markTopics();
    return topics.map((t) => t.topic);
  } catch (e) {
    list.textContent = "cannot list topics: " + e.message;
    return [];
  }
}
function markTopics() {
  const want = topicsWanted();
  for (const box of $("topiclist").querySelectorAll("input")) box.checked = want.includes(box.value);
}

// ---- controls ----
$("watch").onclick = () => { watch(); loadTopics(); };
$("topics").onkeydown = $("token").onkeydown = (e) => { if (e.key === "Enter") $("watch").click(); };
$("stop").onclick = () => { if (ctl) ctl.abort(); done(); setState("idle", "stopped"); note("stopped"); };
$("refresh").onclick = loadTopics;
$("pause").onclick = () => {
  paused = !paused;
  $("pause").classList.toggle("on", paused);
  $("pause").textContent = paused ? "Resume" : "Pause";
  if (!paused) { const rows = held; held = []; rows.forEach(show); }
};
$("clear").onclick = () => { $("log").replaceChildren(); held = []; total = 0; if (paused) $("pause").textContent = "Resume"; count(); };
$("filter").oninput = () => { for (const r of $("log").children) r.hidden = !matches(r); count(); };
$("publish").onclick = async () => {
  const q = new URLSearchParams();
  const ev = $("pevent").value.trim();
  if (ev) q.set("event", ev);
  const headers = { "Content-Type": "text/plain" };
  if ($("ptoken").value) headers.Authorization = "Bearer " + $("ptoken").value;
  try {
    const r = await fetch("/events/" + encodeURIComponent($("ptopic").value.trim()) + (q.toString() ? "?" + q : ""),
                          { method: "POST", headers, body: $("pdata").value });
    const body = await r.json();
    $("pstate").textContent = r.ok ? "published " + body.id + " to " + body.subscribers + " subscriber(s)"
                                   : "error " + r.status + ": " + body.error;
    if (r.ok) loadTopics();
  } catch (err) {
    $("pstate").textContent = "error: " + err.message;
  }
};

// On load: the token and topics from the URL (/?topic=a,b&access_token=T); without topics,
// every topic the server knows, or the publish form's "demo" when it knows none.
(async () => {
  if (query.has("access_token")) $("token").value = query.get("access_token");
  $("topics").value = query.getAll("topic").join(",");
  const known = await loadTopics();
  if (!topicsWanted().length) $("topics").value = known.length ? known.slice(0, 20).join(",") : "demo";
  watch();
})();
</script>
</body>
</html>
)HTML";
}

}  // namespace ssekit
