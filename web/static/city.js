"use strict";
// The city view: every hall's figures side by side (one column per hall, then the city),
// read from GET /api/city for the chosen days. Hall ids only: no visitor's data here.
document.addEventListener("DOMContentLoaded", () => {
  const {BOOT, t, el, say} = window.CN;
  const FIGURES = ["issued", "served", "no_shows", "wait_p50_min", "wait_p90_min", "ratings",
                   "negative_ratings", "satisfied_share", "rating_mean_5"];
  const table = document.getElementById("city");
  const from = document.getElementById("from");
  const to = document.getElementById("to");
  const params = new URLSearchParams(location.search);
  from.value = params.get("from") || BOOT.today;
  to.value = params.get("to") || from.value;

  function cell(name, value) {
    if (value === null || value === undefined) return "–";
    if (name === "satisfied_share") return (value * 100).toFixed(1) + "%";
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(1);
    return String(value);
  }

  function draw(report) {
    const halls = Object.keys(report.shipped_until).sort();
    const byHall = {};
    for (const row of report.rows) byHall[row.hall] = row;
    const city = report.city[0] || {};
    const head = table.tHead.rows[0];
    head.replaceChildren(el("th", t("city.figure")));
    for (const hall of halls) head.appendChild(el("th", hall));
    head.appendChild(el("th", t("city.all"), "all"));
    const body = table.tBodies[0];
    body.replaceChildren();
    const line = (label, values) => {
      const tr = el("tr");
      tr.appendChild(el("th", label));
      for (const value of values) tr.appendChild(el("td", value));
      body.appendChild(tr);
    };
    for (const name of FIGURES) {
      line(t("city." + name), [...halls.map((h) => cell(name, (byHall[h] || {})[name])),
                               cell(name, city[name])]);
    }
    const sum = (key) => halls.reduce((n, h) => n + report.cases[h][key], 0);
    line(t("city.cases_open"), [...halls.map((h) => report.cases[h].open), sum("open")]);
    line(t("city.cases_overdue"), [...halls.map((h) => report.cases[h].overdue), sum("overdue")]);
    line(t("city.shipped_until"), [...halls.map((h) => {
      const until = report.shipped_until[h];
      return until ? until.at.replace("T", " ").replace("+00:00", " UTC") : t("city.none");
    }), ""]);
  }

  function keepPeriod() {  // the language switch keeps the chosen days
    const link = document.querySelector("a.lang");
    if (link) link.href = `?lang=${BOOT.lang === "zh" ? "en" : "zh"}&from=${from.value}&to=${to.value}`;
  }

  async function load() {
    keepPeriod();
    say(t("city.loading"), false);
    const query = new URLSearchParams({from: from.value, to: to.value || from.value});
    let resp;
    try { resp = await fetch("/api/city?" + query, {credentials: "same-origin"}); }
    catch (err) { say(t("error.network"), true); return; }
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) { say(data.message || data.error, true); return; }
    say("", false);
    draw(data);
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  }

  document.getElementById("period").addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?from=${from.value}&to=${to.value}`);
    load();
  });
  load();
});
