"use strict";
// The hall manager's page: counters, lines, alerts (with a sound) and the hall-wide
// actions. Everything shown comes from the broker's view as it arrives.
document.addEventListener("DOMContentLoaded", () => {
  const {BOOT, t, el, post, say, listen, serviceName, counterName} = window.CN;
  const acknowledged = new Set();
  let lastData = null;

  async function act(url, args, label) {
    const answer = await post(url, args);
    if (!answer.ok) { say(answer.data.message || answer.data.error, true); return false; }
    say(`${t("done")}: ${label}`, false);
    return true;
  }

  for (const button of document.querySelectorAll("button[data-hall]")) {
    const op = button.dataset.hall;
    button.textContent = t("op." + op);
    if (op === "post_notice") continue;  // the form's submit
    button.addEventListener("click", () => act(`/api/hall/${op}`, {}, t("op." + op)));
  }
  document.getElementById("notice").addEventListener("submit", async (event) => {
    event.preventDefault();
    await act("/api/hall/post_notice", {
      zh: document.getElementById("notice-zh").value.trim(),
      en: document.getElementById("notice-en").value.trim(),
      minutes: Number(document.getElementById("notice-minutes").value)}, t("op.post_notice"));
  });

  function beep() {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch (err) { /* no sound device: the alert still shows */ }
  }

  function minutesSince(at, now) {
    return at ? Math.max(0, Math.round((now - at) / 60)) + " " + t("minutes") : "–";
  }

  function row(cells) {
    const tr = el("tr");
    for (const cell of cells) {
      const td = el("td");
      if (cell instanceof Node) td.append(cell); else td.textContent = cell;
      tr.append(td);
    }
    return tr;
  }

  function showCounters(view) {
    const body = document.querySelector("#counters tbody");
    body.replaceChildren();
    for (const [n, c] of Object.entries(view.counters || {})) {
      const op = c.mode === "closed" ? "open_counter" : "close_counter";
      const button = el("button", t("op." + op));
      button.dataset.counter = n;
      button.dataset.op = op;
      button.addEventListener("click", () => act(`/api/counters/${n}/${op}`, {},
                                                 `${t("op." + op)} ${counterName(n)}`));
      const tr = row([counterName(n), c.staff || "–", t("mode." + c.mode), c.serving || "–",
                      c.serving ? serviceName(c.service) : "", button]);
      tr.className = "mode-" + c.mode;
      tr.dataset.counter = n;
      body.append(tr);
    }
  }

  function showLines(view, now) {
    const body = document.querySelector("#lines tbody");
    body.replaceChildren();
    for (const [id, s] of Object.entries(view.services || {})) {
      const estimate = s.estimate_min === null || s.estimate_min === undefined ? "–"
        : `${s.estimate_min} ${t("minutes")}`;
      const tr = row([serviceName(id), String(s.waiting), minutesSince(s.longest_since, now),
                      estimate]);
      tr.dataset.service = id;
      body.append(tr);
    }
  }

  function showAlerts(view, words) {
    const box = document.getElementById("alerts");
    box.replaceChildren();
    for (const alert of Object.values(view.alerts || {})) {
      const item = el("li", words[alert.key] || alert.code,
                      acknowledged.has(alert.key) ? "acked" : "fresh");
      if (!acknowledged.has(alert.key)) {
        const button = el("button", t("ack"));
        button.addEventListener("click", () => { acknowledged.add(alert.key); redraw(); });
        item.append(" ", button);
      }
      item.dataset.key = alert.key;
      box.append(item);
    }
  }

  function showTicketing(view) {
    const ticketing = view.ticketing || {};
    const paused = !!ticketing.paused;
    const key = paused ? "ticketing.paused" : (ticketing.open ? "ticketing.open" : "ticketing.closed");
    document.getElementById("ticketing").textContent = t(key);
    document.querySelector("button[data-hall=pause_ticketing]").disabled = paused;
    document.querySelector("button[data-hall=resume_ticketing]").disabled = !paused;
    const notice = view.notice;
    document.getElementById("notice-now").textContent =
      notice ? (notice[BOOT.lang] || notice.zh || "") : "–";
  }

  function redraw() {
    if (!lastData) return;
    const view = lastData.view || {};
    const now = lastData.now || view.clock || 0;
    showCounters(view);
    showLines(view, now);
    showAlerts(view, lastData.alert_words || {});
    showTicketing(view);
  }

  listen((data) => { lastData = data; redraw(); }, (alert) => {
    beep();
    say(alert.words, true);
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
  });
});
