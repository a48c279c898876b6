/* The browser seat (staff/hotline/seat.html): JsSIP over Kamailio's WebSocket, with the app's
   short-lived SIP credentials. The project's own file (Apache-2.0); docs/hotline-seat.md. */
(function () {
  "use strict";
  var root = document.getElementById("seat");
  if (!root || typeof JsSIP === "undefined") { return; }
  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $("seat-status"), announce: $("seat-announce"), alert: $("seat-alert"),
    title: $("seat-alert-title"), caller: $("seat-caller"), crisis: $("seat-crisis"),
    origin: $("seat-origin"), waited: $("seat-waited"), last: $("seat-last"),
    signin: $("seat-signin"), pause: $("seat-break"), signout: $("seat-signout"),
    answer: $("seat-answer"), mute: $("seat-mute"), hold: $("seat-hold"),
    hangup: $("seat-hangup"), remote: $("seat-remote"),
    wrapup: $("seat-wrapup"), wrapupCall: $("wrapup-call"), wrapupResult: $("wrapup-result"),
    transfer: $("seat-transfer"), confirm: $("transfer-confirm"), question: $("transfer-question"),
    yes: $("transfer-yes"), no: $("transfer-no"), consult: $("transfer-consult"),
    complete: $("transfer-complete"), back: $("transfer-return"), xstatus: $("transfer-status"),
    attended: $("transfer-attended")
  };
  var ua = null, call = null, refresh = null, ringer = null, audio = null;
  var current = null;                // the X-Seat-Call facts of the call ringing or in conversation
  var handover = null;               // {to, attended, pending, connected}: a hand-over asked for
  var wanted = "offline";

  // the words the seat shows and says, in the reader's language: seat.html gives them from the
  // catalogue (#seat-words: Chinese source text → its translation); "{name}" marks a value
  var words = JSON.parse(($("seat-words") || {}).textContent || "{}");
  function tr(text, values) {
    var out = words[text] || text;
    Object.keys(values || {}).forEach(function (k) { out = out.split("{" + k + "}").join(values[k]); });
    return out;
  }

  function say(text) {               // polite: read after what the screen reader is saying
    ui.announce.textContent = "";
    window.setTimeout(function () { ui.announce.textContent = text; }, 50);
  }
  function status(text, state) {
    ui.status.textContent = text;
    root.setAttribute("data-seat", state);
  }
  function post(url, fields) {
    var body = new FormData();
    body.append("csrf_token", root.dataset.csrf);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (!resp.ok) { throw new Error(data.detail || ("HTTP " + resp.status)); }
          return data;
        });
      });
  }
  function setState(state) { return post(root.dataset.state, { state: state }); }

  // the ring tone: two short beeps a second (Web Audio, no file to fetch) ---------------------
  function ringStart() {
    if (!audio) { return; }
    ringStop();
    var beep = function () {
      [0, 0.25].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880; gain.gain.value = 0.15;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.15);
      });
    };
    beep();
    ringer = window.setInterval(beep, 1000);
  }
  function ringStop() { if (ringer) { window.clearInterval(ringer); ringer = null; } }

  // X-Seat-Call: crisis=1;caller=139****5678;origin=0755;arrived=2026-12-02T03:00:00Z
  function callInfo(request) {
    var info = {};
    (request.getHeader("X-Seat-Call") || "").split(";").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) { info[part.slice(0, i).trim()] = part.slice(i + 1).trim(); }
    });
    return info;
  }
  function waitedText(arrived) {
    var t = Date.parse(arrived || "");
    if (isNaN(t)) { return "—"; }
    var s = Math.max(0, Math.round((Date.now() - t) / 1000));
    return s < 60 ? tr("{s} 秒", { s: s }) : tr("{m} 分 {s} 秒", { m: Math.floor(s / 60), s: s % 60 });
  }

  function buttons(phase) {          // idle | ringing | talking
    ui.answer.disabled = phase !== "ringing";
    ui.mute.disabled = ui.hold.disabled = phase !== "talking";
    ui.hangup.disabled = phase === "idle";
    ui.transfer.disabled = phase !== "talking";
    if (phase !== "talking") { ui.confirm.hidden = true; ui.consult.hidden = true; }
  }

  function incoming(e) {
    if (e.originator !== "remote") { return; }
    if (call) { e.session.terminate({ status_code: 486, reason_phrase: "Busy Here" }); return; }
    call = e.session;
    var info = callInfo(e.request);
    current = info;
    handover = null;
    ui.xstatus.textContent = "";
    var crisis = info.crisis === "1";
    var answered = false;
    ui.caller.textContent = info.caller || "—";
    ui.crisis.textContent = crisis ? tr("是（危机来电，请优先处置）") : tr("否");
    ui.origin.textContent = info.origin || tr("未知");
    ui.waited.textContent = waitedText(info.arrived);
    ui.title.textContent = crisis ? tr("危机来电振铃") : tr("来电振铃");
    ui.alert.hidden = false;
    ui.alert.className = "alert ringing" + (crisis ? " crisis" : "");
    ui.alert.setAttribute("role", "group");
    status(tr("振铃中"), "ringing");
    buttons("ringing");
    ringStart();
    say(tr(crisis ? "危机来电，号码 {caller}，已等待 {waited}。按回车接听。"
      : "新来电，号码 {caller}，已等待 {waited}。按回车接听。",
    { caller: info.caller || tr("未知"), waited: ui.waited.textContent }));
    ui.answer.focus();
    call.on("peerconnection", function (ev) {
      ev.peerconnection.addEventListener("track", function (t) {
        if (t.streams && t.streams[0]) { ui.remote.srcObject = t.streams[0]; }
      });
    });
    call.on("accepted", function () {
      answered = true;
      ringStop();
      ui.alert.className = "alert talking" + (crisis ? " crisis" : "");
      ui.title.textContent = tr("通话中");
      status(tr("通话中"), "talking");
      buttons("talking");
      ui.hangup.focus();
    });
    var done = function (ev) {
      ringStop();

      // the node ends the seat's leg when the service takes the caller (perhaps before the
      // answer to 转入来电者 arrives)
      var moved = handover && (handover.connected || handover.completing ||
        (!handover.attended && ev.originator === "remote"));
      ui.last.textContent = moved ? tr("上一通来电已转接至 {to}（本坐席通话结束）。", { to: handover.to })
        : ev.originator === "local" ? tr("上一通来电已结束（本坐席挂断）。")
          : tr("上一通来电已结束（对方挂断）。");
      if (handover) { ui.xstatus.textContent = ""; }
      ui.alert.hidden = true;
      ui.alert.className = "alert";
      call = null;
      current = null;
      ui.mute.setAttribute("aria-pressed", "false");
      ui.hold.setAttribute("aria-pressed", "false");
      buttons("idle");
      status(tr(wanted === "break" ? "小休" : "已签入，等待来电"), "registered");
      if (answered && info.call) {     // wrap-up: notes and the crisis assessment of this call
        ui.wrapupCall.value = info.call;
        if (moved) {                   // what was sent with the hand-over goes into the wrap-up
          $("wrapup-handover").value = handover.to;
          ["suicidal_ideation", "hopelessness"].forEach(function (name) {
            var v = $("transfer-" + name).value;
            if (v) { $("wrapup-" + name).value = v; }
          });
        }
        ui.wrapupResult.textContent = "";
        ui.wrapup.hidden = false;
        say(tr("通话已结束，请填写通话小结与危机评估。"));
        $("wrapup-suicidal_ideation").focus();
      } else {
        say(tr("通话已结束。"));
        ui.signin.focus();
      }
    };
    call.on("ended", done);
    call.on("failed", done);
  }

  function refreshCredentials() {
    return post(root.dataset.credentials, {}).then(function (cred) {
      if (ua) {
        ua.set("authorization_user", cred.authorization_user);
        ua.set("password", cred.password);
      }
      return cred;
    });
  }

  function start() {
    if (ua) { return Promise.resolve(); }
    status(tr("正在连接…"), "connecting");
    return post(root.dataset.credentials, {}).then(function (cred) {
      var socket = new JsSIP.WebSocketInterface(cred.ws_url);
      ua = new JsSIP.UA({
        sockets: [socket], uri: cred.sip_uri, authorization_user: cred.authorization_user,
        password: cred.password, realm: cred.realm, register: true,
        register_expires: cred.register_expires, session_timers: false,
        user_agent: "minsheng-seat"
      });
      // events of a user agent already stopped (signed out, then in again) change nothing
      var mine = ua;
      ua.on("registered", function () {
        if (ua !== mine) { return; }
        status(tr(wanted === "break" ? "小休" : "已签入，等待来电"), "registered");
      });
      ua.on("unregistered", function () { if (ua === mine) { status(tr("未签入"), "unregistered"); } });
      ua.on("registrationFailed", function (ev) {
        if (ua !== mine) { return; }
        status(tr("签入失败：{why}", { why: ev.cause || tr("未知原因") }), "failed");
        say(tr("坐席签入失败。"));
      });
      ua.on("disconnected", function () {
        if (ua === mine) { status(tr("连接中断，正在重连…"), "disconnected"); }
      });
      ua.on("newRTCSession", incoming);
      ua.start();
      // a credential lives ttl_s; take a new one well before (JsSIP re-registers every minute)
      refresh = window.setInterval(function () {
        refreshCredentials().catch(function (err) {
          status(tr("凭据更新失败：{why}", { why: err.message }), "failed");
        });
      }, Math.max(30, cred.ttl_s / 3) * 1000);
    });
  }

  function stop() {
    if (refresh) { window.clearInterval(refresh); refresh = null; }
    if (ua) { var old = ua; ua = null; old.stop(); }
    status(tr("已签出"), "offline");
  }

  ui.signin.addEventListener("click", function () {
    if (!audio && window.AudioContext) { audio = new window.AudioContext(); }
    wanted = "available";
    setState("available").then(start).then(function () {
      ui.pause.disabled = false; ui.signout.disabled = false;
      say(tr("已签入。"));
    }).catch(function (err) { status(tr("签入失败：{why}", { why: err.message }), "failed"); });
  });
  ui.pause.addEventListener("click", function () {
    wanted = "break";
    setState("break").then(function () { status(tr("小休"), "break"); say(tr("已小休。")); })
      .catch(function (err) { status(tr("操作失败：{why}", { why: err.message }), "failed"); });
  });
  ui.signout.addEventListener("click", function () {
    wanted = "offline";
    setState("offline").then(stop).then(function () {
      ui.pause.disabled = true; ui.signout.disabled = true; say(tr("已签出。"));
    }).catch(function (err) { status(tr("操作失败：{why}", { why: err.message }), "failed"); });
  });
  ui.wrapup.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var fields = {};
    new FormData(ui.wrapup).forEach(function (v, k) { fields[k] = v; });
    post(ui.wrapup.dataset.url, fields).then(function (result) {
      ui.wrapupResult.textContent = tr(result.follow_up
        ? "已记录：{risk}（规则 {rule}，{version}），已生成回访任务。"
        : "已记录：{risk}（规则 {rule}，{version}）。",
      { risk: result.risk_label, rule: result.rule, version: result.rule_version });
      ui.wrapup.reset();
      ui.wrapupCall.value = "";
    }).catch(function (err) { ui.wrapupResult.textContent = tr("提交失败：{why}", { why: err.message }); });
  });
  ui.answer.addEventListener("click", function () {
    if (!call) { return; }
    call.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  });
  ui.hangup.addEventListener("click", function () { if (call) { call.terminate(); } });
  ui.mute.addEventListener("click", function () {
    if (!call) { return; }
    var muted = call.isMuted().audio;
    if (muted) { call.unmute({ audio: true }); } else { call.mute({ audio: true }); }
    ui.mute.setAttribute("aria-pressed", String(!muted));
  });
  ui.hold.addEventListener("click", function () {
    if (!call) { return; }
    var held = call.isOnHold().local;
    if (held) { call.unhold(); } else { call.hold(); }
    ui.hold.setAttribute("aria-pressed", String(!held));
  });
  // hand-over to 110/119/120: confirm, then the app forwards it to the node holding the call
  function transferPost(fields) {
    fields.call_ref = current ? current.call : "";
    return post(ui.transfer.dataset.url, fields);
  }
  function transferFailed(err) {
    ui.xstatus.textContent = tr("转接失败：{why}", { why: err.message });
    say(tr("转接失败。"));
  }
  Array.prototype.forEach.call(document.querySelectorAll(".transfer-to"), function (button) {
    button.addEventListener("click", function () {
      if (!call || !current) { return; }
      var attended = ui.attended.checked;
      handover = { to: button.dataset.to, attended: attended, pending: true, from: button };
      ui.question.textContent = tr(attended
        ? "确认将来电转接至 {to}（先与对方沟通，来电者听等待提示）？"
        : "确认将来电转接至 {to}（直接转接，对方接听后本坐席通话结束）？", { to: handover.to });
      ui.confirm.hidden = false;
      ui.yes.focus();
    });
  });
  function cancelTransfer() {
    var from = handover && handover.from;
    ui.confirm.hidden = true;
    handover = null;
    if (from) { from.focus(); }
  }
  ui.no.addEventListener("click", cancelTransfer);
  ui.confirm.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); cancelTransfer(); }
  });
  ui.yes.addEventListener("click", function () {
    if (!handover || !handover.pending) { return; }
    var h = handover;
    h.pending = false;
    ui.confirm.hidden = true;
    ui.xstatus.textContent = tr("正在呼叫 {to}…", { to: h.to });
    transferPost({
      to: h.to, mode: h.attended ? "attended" : "blind",
      suicidal_ideation: $("transfer-suicidal_ideation").value,
      hopelessness: $("transfer-hopelessness").value
    }).then(function () {
      var text = tr(h.attended
        ? "正在呼叫 {to}：接通后可与对方沟通，来电者在听等待提示；再选择“转入来电者”或“返回来电者”。"
        : "正在呼叫 {to}：对方接听后来电者直接转入，本坐席通话随之结束。", { to: h.to });
      ui.xstatus.textContent = text;
      say(text);
      if (h.attended) { ui.consult.hidden = false; ui.complete.focus(); }
    }).catch(function (err) { handover = null; transferFailed(err); });
  });
  ui.complete.addEventListener("click", function () {
    if (!handover) { return; }
    handover.completing = true;
    transferPost({ step: "complete" }).then(function () {
      handover.connected = true;
      ui.consult.hidden = true;
      ui.xstatus.textContent = tr("已将来电者转入 {to}。", { to: handover.to });
    }).catch(function (err) { if (handover) { handover.completing = false; } transferFailed(err); });
  });
  ui.back.addEventListener("click", function () {
    if (!handover) { return; }
    transferPost({ step: "return" }).then(function () {
      ui.consult.hidden = true;
      ui.xstatus.textContent = tr("已返回来电者，未转接。");
      say(tr("已返回来电者。"));
      handover = null;
      ui.hangup.focus();
    }).catch(transferFailed);
  });

  // Leaving or closing the page signs the seat out of the queue (not only the registration):
  // a seat nobody answers must not be offered calls.
  window.addEventListener("pagehide", function () {
    if (ua) { ua.stop(); }
    if (wanted !== "offline" && navigator.sendBeacon) {
      var body = new FormData();
      body.append("csrf_token", root.dataset.csrf);
      body.append("state", "offline");
      navigator.sendBeacon(root.dataset.state, body);
      wanted = "offline";
    }
  });
})();
