"use strict";
// The sign-in form: a clerk picks a counter; a manager may pick none (the hall page).
document.addEventListener("DOMContentLoaded", () => {
  const {BOOT, t, el, post, say} = window.CN;
  const select = document.getElementById("counter");
  if (BOOT.manager) {
    const none = el("option", t("login.none"));
    none.value = "";
    select.append(none);
  }
  for (const n of Object.keys(BOOT.counters)) {
    const option = el("option", BOOT.counters[n]);
    option.value = n;
    select.append(option);
  }
  if (BOOT.manager) select.value = "";
  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const counter = select.value === "" ? null : Number(select.value);
    const answer = await post("/api/login", {
      staff: document.getElementById("staff").value.trim(),
      pin: document.getElementById("pin").value, counter});
    document.getElementById("pin").value = "";
    if (answer.ok) { location.reload(); return; }
    say(answer.data.message || t("error.bad_login"), true);
  });
});
