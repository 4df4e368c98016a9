"use strict";
// The virtual caller: every button is enabled from facts in the broker's view; what the
// broker refuses is shown in its own words. Keyboard: Space/F1 call next, R recall,
// Shift+R slow repeat (recall with slow: the displays say it slower and louder), N no-show,
// S start, F finish, H hold, P pause/resume, T transfer.
document.addEventListener("DOMContentLoaded", () => {
  const {BOOT, t, el, post, say, listen, serviceName, counterName} = window.CN;
  const n = BOOT.me.counter;
  const buttons = {};
  document.getElementById("counter-name").textContent = counterName(n);

  for (const button of document.querySelectorAll("button[data-op]")) {
    const op = button.dataset.op;
    button.textContent = t("op." + op) + (button.dataset.key ? ` (${button.dataset.key})` : "");
    buttons[op] = button;
    if (op !== "transfer" && op !== "call_ticket") {
      button.addEventListener("click", () => act(op, {}));
    }
  }
  // The slow repeat is a recall with {slow: true}: one button more, the same op and the same
  // enabling fact (someone is being served), for a visitor the clerk saw hears poorly.
  const slow = document.getElementById("recall-slow");
  slow.textContent = `${t("op.recall_slow")} (${slow.dataset.key})`;
  slow.addEventListener("click", () => act("recall", {slow: true}, "op.recall_slow"));
  const targets = document.getElementById("transfer-service");
  for (const id of Object.keys(BOOT.services)) {
    const option = el("option", BOOT.services[id]);
    option.value = id;
    targets.append(option);
  }
  document.getElementById("transfer").addEventListener("submit", (event) => {
    event.preventDefault();
    act("transfer", {service: targets.value});
  });
  document.getElementById("call-ticket").addEventListener("submit", (event) => {
    event.preventDefault();
    act("call_ticket", {ticket: document.getElementById("ct-ticket").value.trim().toUpperCase(),
                        reason: document.getElementById("ct-reason").value.trim()});
  });

  async function act(op, args, label) {
    if (buttons[op] && buttons[op].disabled) return;
    const answer = await post(`/api/counters/${n}/${op}`, args);
    if (!answer.ok) { say(answer.data.message || answer.data.error, true); return; }
    const ticket = answer.data.result && answer.data.result.ticket;
    if (answer.data.message) { say(answer.data.message, false); return; }  // e.g. nobody waiting
    say(`${t("done")}: ${t(label || "op." + op)}${ticket ? " " + ticket : ""}`, false);
  }

  function list(id, items, op, argsOf) {
    const box = document.getElementById(id);
    box.replaceChildren();
    for (const item of items) {
      const row = el("li", item.ticket || item);
      if (op) {
        const button = el("button", t("op." + op));
        button.dataset.ticket = item.ticket || item;
        button.addEventListener("click", () => act(op, argsOf(item)));
        row.append(" ", button);
      }
      box.append(row);
    }
  }

  function show(data) {
    const view = data.view || {};
    const me = (view.counters || {})[String(n)];
    if (!me) return;
    const serving = me.serving;
    const waiting = (me.services || []).some((s) => ((view.services || {})[s] || {}).waiting > 0);
    document.getElementById("mode").textContent = t("mode." + me.mode);
    document.getElementById("serving").textContent = serving || t("nobody");
    document.getElementById("service").textContent = serving ? serviceName(me.service) : "";
    const enabled = {
      call_next: me.mode === "open" && waiting, recall: !!serving, no_show: !!serving,
      start: !!serving, finish: !!serving, hold: !!serving, transfer: !!serving,
      pause: me.mode === "open", resume: me.mode === "paused", call_ticket: me.mode === "open",
    };
    for (const op of Object.keys(buttons)) buttons[op].disabled = !enabled[op];
    slow.disabled = !enabled.recall;
    buttons.pause.hidden = me.mode === "paused";
    buttons.resume.hidden = me.mode !== "paused";
    list("held", me.held || [], me.mode === "closed" ? null : "call_back",
         (ticket) => ({ticket}));
    const now = data.now || view.clock || 0;
    list("no-shows", (me.no_shows || []).filter((x) => x.until >= now), "revive",
         (item) => ({ticket: item.ticket}));
    const lines = document.getElementById("lines");
    lines.replaceChildren();
    for (const s of me.services || []) {
      const line = (view.services || {})[s] || {};
      lines.append(el("li", `${serviceName(s)}: ${t("waiting")} ${line.waiting || 0}`));
    }
  }

  const keys = {" ": "call_next", "F1": "call_next", "r": "recall", "n": "no_show",
                "s": "start", "f": "finish", "h": "hold", "t": "transfer"};
  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.ctrlKey || event.metaKey
        || event.altKey) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    let op = keys[key];
    if (key === "r" && event.shiftKey) {  // Shift+R: the slow repeat
      event.preventDefault();
      if (!slow.disabled) act("recall", {slow: true}, "op.recall_slow");
      return;
    }
    if (key === "p") op = buttons.pause.hidden ? "resume" : "pause";
    if (!op) return;
    event.preventDefault();
    if (op === "transfer") act("transfer", {service: targets.value});
    else act(op, {});
  });

  listen(show, null);
});
