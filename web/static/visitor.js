/* The visitor's phone page: plain ES5 (old Android WebViews), no framework, nothing fetched
   from outside the hall. Facts come from /t/<token>/events (server-sent events), or, where
   EventSource is missing, from /t/<token>.json every 10 seconds. */
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var base = location.pathname.replace(/\/+$/, "");
  var facts = boot.facts;
  var lastState = facts.state;
  var soundOn = false;
  var audio = null;

  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = value || ""; }

  function counterName(lang, n) {
    var names = boot.names[lang].counters;
    return names[String(n)] || (lang === "zh" ? n + "号窗口" : "Counter " + n);
  }

  function headline(f) {
    var s = f.state;
    if (s === "waiting") {
      return ["前面还有 " + f.ahead + " 人", f.ahead + " ahead of you",
              f.wait_min === null ? "" : "预计等候约 " + f.wait_min + " 分钟",
              f.wait_min === null ? "" : "About " + f.wait_min + " min"];
    }
    if (s === "called") {
      return ["请到 " + counterName("zh", f.counter), "Please go to " + counterName("en", f.counter),
              "正在叫您的号", "Your number is being called"];
    }
    if (s === "serving") {
      return ["正在办理", "Being served", counterName("zh", f.counter), counterName("en", f.counter)];
    }
    if (s === "held") {
      return ["业务暂挂，请留意叫号", "On hold: please wait to be called again", "", ""];
    }
    if (s === "no_show") {
      return ["已过号", "Missed your call", "请到窗口咨询工作人员", "Please ask at the counter"];
    }
    return ["办理完毕，谢谢", "Finished, thank you", "", ""];
  }

  function alertVisitor() {
    if (navigator.vibrate) { navigator.vibrate([400, 150, 400, 150, 400]); }
    if (!soundOn || !audio) { return; }
    try {
      var t = audio.currentTime;
      [0, 0.35, 0.7].forEach(function (d) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880; osc.connect(gain); gain.connect(audio.destination);
        gain.gain.value = 0.3; osc.start(t + d); osc.stop(t + d + 0.25);
      });
    } catch (e) { /* no sound on this phone: the page and vibration still say it */ }
  }

  function draw(f) {
    // Once finished the ticket leaves the broker's lines: keep naming its service.
    if (!f.service && facts && facts.ticket === f.ticket) { f.service = facts.service; }
    facts = f;
    var words = headline(f);
    var service = f.service ? (boot.names.zh.services[f.service] || f.service) + " · " +
        (boot.names.en.services[f.service] || f.service) : "";
    text("service", service);
    text("headline", words[0]); text("headline-en", words[1]);
    text("detail", words[2]); text("detail-en", words[3]);
    $("status").className = "status " + f.state;
    document.body.className = f.state;
    if (f.state === "done" || f.state === "no_show") { $("alerts").hidden = true; }
    $("rating").hidden = !(f.state === "done" && !f.rated && !rated);
    if (f.rated || rated) { text("rating-message", boot.words.zh.thanks + " · " + boot.words.en.thanks); $("rating").hidden = false; $("levels").hidden = true; }
    if (f.state === "called" && lastState !== "called") { alertVisitor(); }
    lastState = f.state;
  }

  var rated = false;
  function send(score, reason) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", base + "/rate");
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status === 200 || answer.error === "already_rated") {
        rated = true; $("levels").hidden = true; $("reasons").hidden = true;
        text("rating-message", boot.words.zh.thanks + " · " + boot.words.en.thanks);
      } else {
        text("rating-message", answer.words ? answer.words.zh + " · " + answer.words.en
                                            : "请稍后再试 · Please try again");
      }
    };
    xhr.onerror = function () { text("rating-message", "请稍后再试 · Please try again"); };
    xhr.send(JSON.stringify(reason ? {score: score, reason: reason} : {score: score}));
  }

  function askReason(score) {
    var box = $("reasons");
    text("ask", boot.words.zh.ask_reason + " · " + boot.words.en.ask_reason);
    var old = box.querySelectorAll("button");
    for (var i = 0; i < old.length; i++) { box.removeChild(old[i]); }
    boot.reasons.forEach(function (r) {
      var b = document.createElement("button");
      b.type = "button"; b.setAttribute("data-reason", r);
      b.textContent = boot.words.zh["reason." + r] + " " + boot.words.en["reason." + r];
      b.onclick = function () { send(score, r); };
      box.appendChild(b);
    });
    box.hidden = false;
  }

  function buildLevels() {
    var box = $("levels");
    var scores = [];
    for (var s = boot.facts.scale; s >= 1; s--) { scores.push(s); }
    scores.forEach(function (score) {
      var b = document.createElement("button");
      b.type = "button"; b.setAttribute("data-score", String(score));
      b.className = "level l" + score;
      b.textContent = boot.words.zh["level." + score] + " " + boot.words.en["level." + score];
      b.onclick = function () {
        if (boot.negative.indexOf(score) >= 0) { askReason(score); } else { send(score, null); }
      };
      box.appendChild(b);
    });
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", base + ".json");
    xhr.onload = function () {
      if (xhr.status === 200) { $("link").hidden = true; draw(JSON.parse(xhr.responseText)); }
    };
    xhr.onerror = function () { $("link").hidden = false; };
    xhr.send();
  }

  function listen() {
    if (!window.EventSource) { setInterval(poll, 10000); return; }
    var source = new EventSource(base + "/events");
    source.addEventListener("ticket", function (e) {
      $("link").hidden = true; draw(JSON.parse(e.data));
    });
    source.onerror = function () { $("link").hidden = false; };
  }

  $("alerts").onclick = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { audio = new Ctx(); soundOn = true; }
    $("alerts").hidden = true;
  };
  buildLevels();
  draw(facts);
  listen();
})();
