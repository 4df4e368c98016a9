"use strict";
// What every console page shares: its boot data, words, POSTs with the CSRF token, the
// event stream. No framework, no build step; the server sends the words and the names.
const BOOT = JSON.parse(document.getElementById("boot").textContent);
const L = BOOT.labels;

function t(key) { return L[key] || key; }

function applyLabels(root) {
  for (const el of root.querySelectorAll("[data-l]")) el.textContent = t(el.dataset.l);
}

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

async function post(url, body) {
  const headers = {"Content-Type": "application/json"};
  if (BOOT.me) headers["X-CSRF-Token"] = BOOT.me.csrf;
  let resp;
  try {
    resp = await fetch(url, {method: "POST", headers, credentials: "same-origin",
                             body: JSON.stringify(body || {})});
  } catch (err) {
    return {ok: false, status: 0, data: {message: t("error.network")}};
  }
  let data = {};
  try { data = await resp.json(); } catch (err) { data = {}; }
  if (resp.status === 401 && BOOT.me) { location.reload(); }
  return {ok: resp.ok, status: resp.status, data};
}

function say(text, bad) {
  const box = document.getElementById("message");
  if (!box) return;
  box.textContent = text;
  box.className = "message " + (bad ? "bad" : "good");
}

// The view's keyed maps: in a change, a null entry is one gone (docs/protocol.md, the view
// merge rule).
const KEYED_MAPS = new Set(["counters", "services", "places", "health", "alerts", "cases"]);

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// The view with a change merged in, one level deep, as the broker's mirrors do it.
function mergeView(view, change) {
  const merged = Object.assign({}, view);
  for (const [key, value] of Object.entries(change)) {
    if (!isObject(value) || !isObject(merged[key])) { merged[key] = value; continue; }
    const inner = Object.assign({}, merged[key]);
    for (const [name, entry] of Object.entries(value)) {
      if (entry === null && KEYED_MAPS.has(key)) delete inner[name]; else inner[name] = entry;
    }
    merged[key] = inner;
  }
  return merged;
}

// The server sends a whole view ("view") when the page opens or falls behind, then only
// what changed ("change"): onView always gets the whole view and every alert's words.
function listen(onView, onAlert) {
  const link = document.getElementById("link");
  const source = new EventSource("/api/events");
  let views = 0;
  let current = null;
  function show(data) {
    if (link) link.hidden = data.connected;
    views += 1;
    onView(data);
    document.body.dataset.views = String(views);  // tests wait on it
  }
  source.addEventListener("view", (event) => {
    current = JSON.parse(event.data);
    show(current);
  });
  source.addEventListener("change", (event) => {
    if (current === null) return;  // a whole view always comes first
    const change = JSON.parse(event.data);
    const words = Object.assign({}, current.alert_words, change.alert_words);
    for (const [key, entry] of Object.entries((change.view || {}).alerts || {})) {
      if (entry === null) delete words[key];
    }
    current = {view: mergeView(current.view || {}, change.view || {}),
               connected: change.connected, now: change.now, alert_words: words};
    document.body.dataset.changes = String(Number(document.body.dataset.changes || 0) + 1);
    show(current);
  });
  source.addEventListener("alert", (event) => { if (onAlert) onAlert(JSON.parse(event.data)); });
  source.onerror = () => { if (link) link.hidden = false; };
  return source;
}

function serviceName(id) { return (id && BOOT.services[id]) || id || ""; }
function counterName(n) { return BOOT.counters[String(n)] || String(n); }

document.addEventListener("DOMContentLoaded", () => {
  applyLabels(document);
  const out = document.getElementById("logout");
  if (out) out.addEventListener("click", async () => {
    await post("/api/logout", {});
    location.reload();
  });
});

window.CN = {BOOT, t, el, post, say, listen, serviceName, counterName, applyLabels};
