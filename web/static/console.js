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

function listen(onView, onAlert) {
  const link = document.getElementById("link");
  const source = new EventSource("/api/events");
  let views = 0;
  source.addEventListener("view", (event) => {
    const data = JSON.parse(event.data);
    if (link) link.hidden = data.connected;
    views += 1;
    onView(data);
    document.body.dataset.views = String(views);  // tests wait on it
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
