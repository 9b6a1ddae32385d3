// ssed's built-in page at GET /: pick topics, watch them live with EventSource, publish a line
// with fetch(). Self-contained (no external assets), so it works offline and under a strict CSP
// of the embedding site's choosing.
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
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 52em; padding: 0 1em; }
  h1 { font-size: 1.3em; }
  fieldset { border: 1px solid #ccc; margin: 0 0 1em; }
  label { display: inline-block; margin: 0.2em 0.8em 0.2em 0; }
  input[type=text] { width: 14em; }
  #log { border: 1px solid #ccc; height: 22em; overflow: auto; padding: 0.4em;
         font: 13px/1.35 ui-monospace, monospace; white-space: pre-wrap; background: #fafafa; }
  .meta { color: #777; } .gap { color: #b45309; } .err { color: #b91c1c; }
</style>
</head>
<body>
<h1>ssed</h1>
<fieldset>
  <legend>Watch</legend>
  <label>Topics (comma-separated) <input id="topics" type="text" value="demo"></label>
  <label>Token <input id="subtoken" type="text" placeholder="subscribe token, if any"></label>
  <button id="watch">Watch</button> <button id="stop" disabled>Stop</button>
  <span id="state" class="meta">idle</span>
</fieldset>
<fieldset>
  <legend>Publish</legend>
  <label>Topic <input id="ptopic" type="text" value="demo"></label>
  <label>Event <input id="pevent" type="text" placeholder="message"></label>
  <label>Token <input id="pubtoken" type="text" placeholder="publish token, if any"></label><br>
  <label>Data <input id="pdata" type="text" style="width:30em" value="hello"></label>
  <button id="publish">Publish</button> <span id="pstate" class="meta"></span>
</fieldset>
<div id="log" aria-live="polite"></div>
<p class="meta">API: <code>GET /events/{topic}</code> (text/event-stream),
<code>POST /events/{topic}</code>, <code>GET /topics</code>, <code>GET /metrics</code>,
<code>GET /healthz</code>. See ssed(1).</p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let source = null;
const seen = new Set();

function line(text, cls) {
  const div = document.createElement("div");
  if (cls) div.className = cls;
  div.textContent = text;
  const log = $("log");
  log.appendChild(div);
  while (log.childNodes.length > 1000) log.removeChild(log.firstChild);
  log.scrollTop = log.scrollHeight;
}

function listen(type) {
  if (seen.has(type)) return;
  seen.add(type);
  source.addEventListener(type, (e) => {
    line(new Date().toLocaleTimeString() + "  " + type + (e.lastEventId ? "  id=" + e.lastEventId : "") +
         "\n" + e.data);
  });
}

$("watch").onclick = () => {
  if (source) source.close();
  const topics = $("topics").value.split(",").map((t) => t.trim()).filter((t) => t);
  if (!topics.length) { line("no topic given", "err"); return; }
  const q = new URLSearchParams();
  if ($("subtoken").value) q.set("access_token", $("subtoken").value);
  const url = "/events/" + topics.map(encodeURIComponent).join(",") + (q.toString() ? "?" + q : "");
  source = new EventSource(url);
  seen.clear();
  listen("message");
  source.addEventListener("ssed-gap", (e) => line("gap: " + e.data, "gap"));
  source.onopen = () => { $("state").textContent = "connected to " + topics.join(", "); };
  source.onerror = () => {
    $("state").textContent = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting...";
  };
  $("stop").disabled = false;
  line("watching " + topics.join(", "), "meta");
};

$("stop").onclick = () => {
  if (source) source.close();
  source = null;
  $("stop").disabled = true;
  $("state").textContent = "idle";
};

$("publish").onclick = async () => {
  const q = new URLSearchParams();
  const ev = $("pevent").value.trim();
  if (ev) q.set("event", ev);
  const headers = { "Content-Type": "text/plain" };
  if ($("pubtoken").value) headers["Authorization"] = "Bearer " + $("pubtoken").value;
  try {
    const r = await fetch("/events/" + encodeURIComponent($("ptopic").value.trim()) +
                          (q.toString() ? "?" + q : ""), { method: "POST", headers, body: $("pdata").value });
    const body = await r.json();
    $("pstate").textContent = r.ok ? "published id " + body.id + " to " + body.subscribers + " subscriber(s)"
                                   : "error " + r.status + ": " + body.error;
    if (ev && source) listen(ev);
  } catch (err) {
    $("pstate").textContent = "error: " + err;
  }
};
</script>
</body>
</html>
)HTML";
}

}  // namespace ssekit
