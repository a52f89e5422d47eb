// MuPIF monitor: polls the safe API's five endpoints and renders them.
// Every value from the network reaches the page through textContent or
// setAttribute on fixed attribute names; innerHTML is never used.
(function () {
  "use strict";

  var CFG = window.MUPIF_MONITOR_CONFIG || {};
  var POLL = Object.assign({ status: 10000, scheduler: 10000, jobmans: 3000,
                             ns: 10000, vpn: 3000 }, CFG.poll || {});
  var SVGNS = "http://www.w3.org/2000/svg";

  function apiBase() {
    var q = new URLSearchParams(location.search).get("api");
    var b = q || CFG.apiBase || "../safe-api/";
    // Only http(s) URLs or paths: never javascript:, data: and the like.
    var u;
    try { u = new URL(b, location.href); } catch (e) { u = new URL("../safe-api/", location.href); }
    if (u.protocol !== "http:" && u.protocol !== "https:") u = new URL("../safe-api/", location.href);
    var s = u.href;
    return s.charAt(s.length - 1) === "/" ? s : s + "/";
  }
  var BASE = apiBase();

  // ---- DOM helpers ------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    }
    return parent;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function $(id) { return document.getElementById(id); }
  function str(v) { return v === null || v === undefined ? "" : String(v); }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : 0; }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function table(headers, cls) {
    var wrap = el("div", "table-wrap");
    var t = el("table", cls || "");
    var tr = el("tr");
    headers.forEach(function (h) {
      var th = el("th", h.cls || "", h.text !== undefined ? h.text : h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    add(t, add(el("thead"), tr));
    var tb = el("tbody");
    t.appendChild(tb);
    wrap.appendChild(t);
    return { wrap: wrap, body: tb };
  }
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) {
      var td = el("td");
      if (c !== null && typeof c === "object" && c.nodeType) td.appendChild(c);
      else if (c !== null && typeof c === "object") {
        if (c.cls) td.className = c.cls;
        if (c.node) td.appendChild(c.node); else td.textContent = str(c.text);
        if (c.title) td.title = c.title;
      } else td.textContent = str(c);
      tr.appendChild(td);
    });
    return tr;
  }
  function pill(text, kind) { return el("span", "pill " + (kind || ""), text); }
  function card(label, value, cls, hint) {
    var c = el("div", "card " + (cls || ""));
    add(c, el("div", "card-label", label), el("div", "card-value", value));
    if (hint) c.appendChild(el("div", "card-hint", hint));
    return c;
  }
  function meter(pct, cls) {
    var p = Math.max(0, Math.min(100, num(pct)));
    var m = el("div", "meter " + (cls || ""));
    var f = el("div", "meter-fill" + (p >= 90 ? " hot" : p >= 60 ? " warm" : ""));
    f.style.width = p.toFixed(1) + "%";     // CSSOM, allowed by the CSP
    m.appendChild(f);
    m.setAttribute("role", "meter");
    m.setAttribute("aria-valuenow", String(Math.round(p)));
    m.setAttribute("aria-valuemin", "0");
    m.setAttribute("aria-valuemax", "100");
    return m;
  }

  // ---- formatting -------------------------------------------------------
  function fmtBytes(n) {
    n = num(n);
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(n < 10 ? 2 : 1) : String(n)) + " " + u[i];
  }
  function parseTime(s) {      // ISO without zone = local time, as sent
    if (typeof s !== "string" || !s) return null;
    var d = new Date(s);
    return isNaN(d.getTime()) ? null : d;
  }
  function fmtTime(s) {
    var d = parseTime(s);
    if (!d) return "—";
    var p = function (x) { return (x < 10 ? "0" : "") + x; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
      p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  function fmtDur(sec) {
    sec = Math.max(0, Math.round(num(sec)));
    if (sec < 60) return sec + " s";
    if (sec < 3600) return Math.floor(sec / 60) + " min " + (sec % 60) + " s";
    if (sec < 86400) return Math.floor(sec / 3600) + " h " + Math.floor(sec % 3600 / 60) + " min";
    return Math.floor(sec / 86400) + " d " + Math.floor(sec % 86400 / 3600) + " h";
  }
  function ago(s) {
    var d = parseTime(s);
    if (!d || d.getFullYear() < 1971) return "never";
    var sec = (Date.now() - d.getTime()) / 1000;
    if (sec < 0) return "just now";
    return fmtDur(sec) + " ago";
  }
  function pct(v) { return num(v).toFixed(num(v) % 1 ? 1 : 0) + " %"; }

  // ---- fetching ---------------------------------------------------------
  var state = { status: null, scheduler: null, jobmans: null, ns: null, vpn: null,
                errors: {}, inflight: {}, updated: {} };

  function fetchJSON(name, path) {
    if (state.inflight[name]) return Promise.resolve(false);
    state.inflight[name] = true;
    return fetch(BASE + path, { credentials: "omit", cache: "no-cache",
                                headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (j) {
        state[name] = j;
        delete state.errors[name];
        state.updated[name] = new Date();
        return true;
      })
      .catch(function (e) {
        state.errors[name] = e && e.message ? e.message : "network error";
        return false;
      })
      .finally(function () { state.inflight[name] = false; });
  }

  var PATHS = { status: "status2/", scheduler: "scheduler-status2/",
                jobmans: "jobmans-status2/", ns: "ns-status2/", vpn: "vpn-status2/" };
  // What each view needs: its own endpoint first, then helpers.
  var NEEDS = { scheduler: ["scheduler"], jobmans: ["jobmans"],
                ns: ["ns", "jobmans", "scheduler"], vpn: ["vpn", "ns"] };
  var RENDER = {};
  var timers = {};

  var gen = 0;       // a route change starts a new generation of timers
  function poll(name) {
    var g = gen;
    clearTimeout(timers[name]);
    if (document.hidden) return;
    fetchJSON(name, PATHS[name]).then(function () {
      renderAll();
      if (g !== gen) return;
      timers[name] = setTimeout(function () { poll(name); }, POLL[name] || 10000);
    });
  }
  function active() { return NEEDS[route] ? NEEDS[route] : []; }
  function startPolling() {
    gen++;
    Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); delete timers[k]; });
    ["status"].concat(active()).forEach(poll);
  }

  // ---- header -----------------------------------------------------------
  function renderHeader() {
    var st = state.status, err = state.errors.status;
    var badges = document.querySelectorAll("#badges .badge");
    var val = {
      api: err ? "bad" : st ? "ok" : "unknown",
      nameserver: err || !st ? "unknown" : st.nameserver === "OK" ? "ok" : "bad",
      dms: err || !st ? "unknown" : st.dms === "OK" ? "ok" : "bad",
      scheduler: err || !st ? "unknown" : st.scheduler === "OK" ? "ok" : "bad"
    };
    Array.prototype.forEach.call(badges, function (b) {
      var k = b.getAttribute("data-key");
      b.className = "badge " + val[k];
      var word = { ok: "up", bad: "down", unknown: "unknown" }[val[k]];
      b.title = b.textContent + ": " + word + (k === "api" && err ? " (" + err + ")" : "");
      b.setAttribute("aria-label", b.title);
    });
    if (st && typeof st.name === "string") {
      $("net-name").textContent = st.name;
      document.title = "MuPIF monitor · " + st.name;
    }
    var errs = Object.keys(state.errors);
    var banner = $("banner");
    if (errs.length) {
      banner.textContent = "Cannot reach the safe API (" + errs.map(function (k) {
        return PATHS[k] + ": " + state.errors[k];
      }).join("; ") + "). Showing the last data received.";
      banner.classList.remove("hidden");
    } else banner.classList.add("hidden");
    var last = Object.keys(state.updated).map(function (k) { return state.updated[k]; })
      .sort(function (a, b) { return b - a; })[0];
    $("updated").textContent = last ? "updated " + last.toLocaleTimeString() : "connecting…";
  }

  // ---- scheduler --------------------------------------------------------
  function barChart(title, series, opts) {
    // series: [{name, cls, data[48]}]; grouped bars, inline SVG.
    var W = 720, H = 190, L = 38, R = 8, T = 10, B = 26;
    var n = 48, pw = (W - L - R) / n;
    var max = 0;
    series.forEach(function (s) { (s.data || []).forEach(function (v) { max = Math.max(max, num(v)); }); });
    if (opts && opts.max) max = Math.max(max, opts.max);
    var nice = max <= 0 ? 1 : Math.pow(10, Math.floor(Math.log10(max)));
    var top = max <= 0 ? 1 : Math.ceil(max / nice) * nice;
    if (top < max) top = max;
    var box = el("figure", "chart");
    var cap = el("figcaption");
    add(cap, el("span", "chart-title", title));
    var legend = el("span", "legend");
    series.forEach(function (s) {
      add(legend, add(el("span", "key"), el("i", "sw " + s.cls), s.name));
    });
    add(cap, legend);
    var g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
                         preserveAspectRatio: "xMidYMid meet" });
    g.setAttribute("aria-label", title + ", last 48 hours");
    var y = function (v) { return T + (H - T - B) * (1 - num(v) / top); };
    [0, 0.5, 1].forEach(function (f) {
      var v = top * f;
      g.appendChild(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": "grid" }));
      var t = svg("text", { x: L - 6, y: y(v) + 4, "class": "axis", "text-anchor": "end" });
      t.textContent = (opts && opts.unit === "%") ? Math.round(v) + "%" : (v % 1 ? v.toFixed(1) : String(v));
      g.appendChild(t);
    });
    [[0, "−48 h"], [24, "−24 h"], [47, "now"]].forEach(function (p) {
      var t = svg("text", { x: L + pw * p[0] + pw / 2, y: H - 8, "class": "axis",
                            "text-anchor": p[0] === 47 ? "end" : p[0] ? "middle" : "start" });
      t.textContent = p[1];
      g.appendChild(t);
    });
    var bw = Math.max(1, (pw - 2) / series.length);
    for (var i = 0; i < n; i++) {
      var grp = svg("g", { "class": "slot" });
      var tip = svg("title", {});
      var hoursAgo = n - 1 - i;
      var lines = [hoursAgo ? hoursAgo + " h ago" : "this hour"];
      grp.appendChild(svg("rect", { x: L + pw * i, y: T, width: pw, height: H - T - B, "class": "hover" }));
      series.forEach(function (s, k) {
        var v = num((s.data || [])[i]);
        lines.push(s.name + ": " + (opts && opts.unit === "%" ? pct(v) : v));
        var h = (H - T - B) * v / top;
        if (v > 0) h = Math.max(h, 1.5);
        grp.appendChild(svg("rect", { x: L + pw * i + 1 + bw * k, y: y(0) - h, width: bw,
                                      height: h, rx: 1, "class": "bar " + s.cls }));
      });
      tip.textContent = lines.join("\n");
      grp.insertBefore(tip, grp.firstChild);
      g.appendChild(grp);
    }
    box.appendChild(cap);
    box.appendChild(g);
    return box;
  }

  function statusPill(s) {
    var k = s === "Finished" ? "ok" : s === "Failed" ? "bad" : s === "Running" ? "run" : "";
    return pill(str(s) || "?", k);
  }

  RENDER.scheduler = function () {
    var root = clear($("sched-body"));
    var a = state.scheduler;
    if (!Array.isArray(a)) {
      root.appendChild(el("p", "empty", state.errors.scheduler ? "Scheduler status unavailable." : "Loading scheduler statistics…"));
      return;
    }
    if (!a.length) { root.appendChild(el("p", "empty", "No scheduler is registered at the nameserver.")); return; }
    a.forEach(function (s, idx) {
      var sec = el("div", "panel");
      if (!isObj(s)) {
        add(sec, el("h2", "", "Scheduler " + (idx + 1)), el("p", "empty bad-text", "Not answering (timed out or unreachable)."));
        root.appendChild(sec);
        return;
      }
      var ns = isObj(s.ns) ? s.ns : {};
      var t = isObj(s.numTasks) ? s.numTasks : {};
      var h = isObj(s.history) ? s.history : {};
      var head = el("div", "panel-head");
      add(head, el("h2", "", str(ns.name) || "Scheduler"), el("code", "uri", str(ns.uri)));
      sec.appendChild(head);
      var cards = el("div", "cards");
      var load = card("Current load", pct(t.currentLoad), "load");
      load.appendChild(meter(t.currentLoad));
      add(cards,
          card("Running", num(t.running), "accent"),
          card("Scheduled", num(t.scheduled)),
          load,
          card("Processed", num(t.processed), "", "since start"),
          card("Finished", num(t.finished), "ok"),
          card("Failed", num(t.failed), num(t.failed) ? "bad" : ""));
      sec.appendChild(cards);
      var charts = el("div", "charts");
      add(charts,
          barChart("Tasks per hour", [
            { name: "Pooled", cls: "s-pooled", data: h.pooledTasks48 },
            { name: "Processed", cls: "s-processed", data: h.processedTasks48 },
            { name: "Failed", cls: "s-failed", data: h.failedTasks48 }]),
          barChart("Load", [{ name: "Load", cls: "s-load", data: h.load48 }], { unit: "%", max: 10 }));
      sec.appendChild(charts);
      sec.appendChild(el("h3", "", "Last executions"));
      var ex = Array.isArray(s.lastExecutions) ? s.lastExecutions : [];
      if (!ex.length) sec.appendChild(el("p", "empty", "No executions yet."));
      else {
        var tb = table(["Execution (WEid)", "Workflow (Wid)", "Status", "Started", "Finished", "Duration"], "execs");
        ex.forEach(function (e) {
          if (!isObj(e)) return;
          var st = parseTime(e.started), fi = parseTime(e.finished);
          var dur = st ? ((fi ? fi.getTime() : Date.now()) - st.getTime()) / 1000 : null;
          tb.body.appendChild(row([{ text: e.weid, cls: "mono" }, e.wid, statusPill(e.status),
                                   fmtTime(e.started), fmtTime(e.finished),
                                   dur === null ? "—" : fmtDur(dur) + (fi ? "" : " …")]));
        });
        sec.appendChild(tb.wrap);
      }
      root.appendChild(sec);
    });
  };

  // ---- model servers ----------------------------------------------------
  var openJM = {};
  RENDER.jobmans = function () {
    var root = clear($("jm-body"));
    var a = state.jobmans;
    if (!Array.isArray(a)) {
      root.appendChild(el("p", "empty", state.errors.jobmans ? "Model server status unavailable." : "Loading model servers…"));
      return;
    }
    if (!a.length) { root.appendChild(el("p", "empty", "No model server is registered at the nameserver.")); return; }
    var ok = a.filter(function (j) { return isObj(j) && j.status === true; }).length;
    var running = 0, total = 0;
    a.forEach(function (j) { if (isObj(j) && isObj(j.numJobs)) { running += Math.max(0, num(j.numJobs.curr)); total += Math.max(0, num(j.numJobs.total)); } });
    add(root, add(el("div", "cards"),
                  card("Model servers", a.length, "accent"),
                  card("Answering", ok + " / " + a.length, ok === a.length ? "ok" : "bad"),
                  card("Running jobs", running),
                  card("Processed jobs", total)));
    var tb = table(["", "Name", "Status", "Load", "Running", "Processed", "URI"], "jobmans");
    a.forEach(function (j, idx) {
      if (!isObj(j)) {
        tb.body.appendChild(row(["", { text: "(unreachable #" + (idx + 1) + ")", cls: "muted" },
                                 pill("no answer", "bad"), "—", "—", "—", ""]));
        return;
      }
      var ns = isObj(j.ns) ? j.ns : {}, nj = isObj(j.numJobs) ? j.numJobs : {};
      var name = str(ns.name);
      var jobs = Array.isArray(j.jobs) ? j.jobs : [];
      var btn = el("button", "expander", openJM[name] ? "▾" : "▸");
      btn.setAttribute("aria-expanded", openJM[name] ? "true" : "false");
      btn.setAttribute("aria-label", "Show jobs of " + name);
      btn.disabled = !jobs.length;
      btn.addEventListener("click", function () { openJM[name] = !openJM[name]; RENDER.jobmans(); });
      var lp = num(nj.max) > 0 ? 100 * num(nj.curr) / num(nj.max) : null;
      var loadCell = el("div", "load-cell");
      if (lp === null) loadCell.appendChild(el("span", "muted", "n/a"));
      else add(loadCell, meter(lp), el("span", "load-num", Math.round(lp) + " %"));
      var nameCell = add(el("div", "namecell"), el("strong", "", name));
      if (j.signature) nameCell.appendChild(el("div", "muted small", str(j.signature)));
      tb.body.appendChild(row([btn, nameCell,
                               j.status ? pill("OK", "ok") : pill("ERR", "bad"),
                               loadCell,
                               num(nj.curr) + (num(nj.max) > 0 ? " / " + num(nj.max) : ""),
                               num(nj.total) >= 0 ? num(nj.total) : "n/a",
                               { text: ns.uri, cls: "mono uri" }]));
      if (openJM[name] && jobs.length) {
        var inner = el("div", "jobs");
        jobs.forEach(function (job) {
          if (!isObj(job)) return;
          var d = el("div", "job");
          var dl = el("dl");
          [["Key", job.key], ["User", job.user], ["Running for", fmtDur(job.running)], ["URI", job.uri]].forEach(function (p) {
            add(dl, el("dt", "", p[0]), el("dd", p[0] === "URI" ? "mono" : "", p[1]));
          });
          d.appendChild(dl);
          var tail = Array.isArray(job.tail) ? job.tail : [];
          if (tail.length) d.appendChild(el("pre", "tail", tail.map(str).join("\n")));
          inner.appendChild(d);
        });
        var tr = el("tr", "detail");
        var td = el("td");
        td.colSpan = 7;
        td.appendChild(inner);
        tr.appendChild(td);
        tb.body.appendChild(tr);
      }
    });
    root.appendChild(tb.wrap);
  };

  // ---- nameserver -------------------------------------------------------
  function classify(meta) {
    var tag = "";
    (Array.isArray(meta) ? meta : []).some(function (m) {
      if (typeof m === "string" && (m.indexOf("type:") === 0 || m.indexOf("class:") === 0)) { tag = m; return true; }
      return false;
    });
    var l = tag.toLowerCase();
    if (l.indexOf("jobmanager") >= 0) return "model server";
    if (l.indexOf("scheduler") >= 0) return "scheduler";
    if (l.indexOf("nameserver") >= 0) return "nameserver";
    if (l.indexOf("appserver") >= 0) return "model instance";
    return tag ? tag.replace(/^(type|class):/, "") : "other";
  }
  var filterText = "";
  RENDER.ns = function () {
    var root = clear($("ns-body"));
    var a = state.ns;
    var loc = $("ns-loc");
    if (!isObj(a)) {
      loc.textContent = "";
      root.appendChild(el("p", "empty", state.errors.ns ? "Nameserver status unavailable." : "Loading nameserver entries…"));
      return;
    }
    var l = isObj(a.loc) ? a.loc : {};
    loc.textContent = "Nameserver " + str(l.host) + ":" + str(l.port) + (l.source ? " (" + str(l.source) + ")" : "");
    var names = isObj(a.names) ? a.names : {};
    var jm = {};
    (Array.isArray(state.jobmans) ? state.jobmans : []).forEach(function (j) {
      if (isObj(j) && isObj(j.ns)) jm[str(j.ns.name)] = j;
    });
    var sched = {};
    (Array.isArray(state.scheduler) ? state.scheduler : []).forEach(function (s) {
      if (isObj(s) && isObj(s.ns)) sched[str(s.ns.name)] = s;
    });
    var keys = Object.keys(names).sort(function (x, y) { return x.localeCompare(y); });
    var f = filterText.toLowerCase();
    var tb = table(["Name", "Type", "Info", "URI", "Metadata"], "ns");
    var shown = 0;
    keys.forEach(function (k) {
      var v = Array.isArray(names[k]) ? names[k] : [];
      var uri = str(v[0]), meta = Array.isArray(v[1]) ? v[1] : [];
      var type = classify(meta);
      var hay = (k + " " + uri + " " + type + " " + meta.join(" ")).toLowerCase();
      if (f && hay.indexOf(f) < 0) return;
      shown++;
      var info = "", kind = "";
      if (type === "model server") {
        var j = jm[k];
        if (j === undefined) { info = ""; kind = ""; }
        else if (j.status && isObj(j.numJobs) && num(j.numJobs.max) > 0) { info = "load " + Math.round(100 * num(j.numJobs.curr) / num(j.numJobs.max)) + " %"; kind = "ok"; }
        else { info = j.status ? "up" : "old / no status"; kind = j.status ? "ok" : "bad"; }
      } else if (type === "scheduler" && sched[k]) {
        info = "load " + pct(isObj(sched[k].numTasks) ? sched[k].numTasks.currentLoad : 0); kind = "ok";
      }
      var nameCell = add(el("span", "ns-name " + kind), el("i", "dot " + kind), k);
      var tags = el("div", "tags");
      meta.forEach(function (m) { tags.appendChild(el("span", "tag", str(m))); });
      tb.body.appendChild(row([nameCell, pill(type, "type"), { text: info, cls: "nowrap" }, { text: uri, cls: "mono uri" }, tags]));
    });
    root.appendChild(el("p", "muted small", shown + " of " + keys.length + " registrations"));
    root.appendChild(tb.wrap);
  };

  // ---- VPN --------------------------------------------------------------
  RENDER.vpn = function () {
    var root = clear($("vpn-body"));
    var a = state.vpn;
    if (!isObj(a)) {
      root.appendChild(el("p", "empty", state.errors.vpn ? "VPN status unavailable." : "Loading VPN status…"));
      return;
    }
    var ifaces = Object.keys(a);
    if (!ifaces.length) { root.appendChild(el("p", "empty", "No VPN status is available on this node.")); return; }
    var names = state.ns && isObj(state.ns.names) ? state.ns.names : {};
    ifaces.forEach(function (ifn) {
      var v = isObj(a[ifn]) ? a[ifn] : {};
      var b = isObj(v.bytes) ? v.bytes : {};
      var peers = Array.isArray(v.peers) ? v.peers : [];
      var sec = el("div", "panel");
      var head = el("div", "panel-head");
      add(head, el("h2", "", "Interface " + ifn), el("code", "uri", v.ipAddr ? str(v.ipAddr) : "no address"));
      sec.appendChild(head);
      add(sec, add(el("div", "cards"),
                   card("Active peers", peers.length, "accent"),
                   card("Received", fmtBytes(b.rx)),
                   card("Sent", fmtBytes(b.tx))));
      if (!peers.length) sec.appendChild(el("p", "empty", "No active peers."));
      else {
        var tb = table(["Name", "VPN address", "Remote", "Received", "Sent", "Last handshake", "Model servers"], "vpn");
        peers.forEach(function (p) {
          if (!isObj(p)) return;
          var ip = str(p.vpnAddr).split("/")[0];
          var servers = Object.keys(names).filter(function (k) {
            var e = names[k];
            return ip && Array.isArray(e) && typeof e[0] === "string" &&
              (e[0].indexOf("@" + ip + ":") >= 0) && classify(e[1]) === "model server";
          });
          var pb = isObj(p.bytes) ? p.bytes : {};
          var remote = isObj(p.remote) ? str(p.remote.host) + (p.remote.port ? ":" + str(p.remote.port) : "") : "";
          var hs = el("span", "", ago(p.lastHandshake));
          hs.title = fmtTime(p.lastHandshake);
          var tags = el("div", "tags");
          servers.forEach(function (s) { tags.appendChild(el("span", "tag", s)); });
          tb.body.appendChild(row([add(el("strong"), str(p.name) || "(unnamed)"),
                                   { text: p.vpnAddr, cls: "mono" },
                                   remote ? { text: remote, cls: "mono" } : { text: "hidden", cls: "muted" },
                                   fmtBytes(pb.rx), fmtBytes(pb.tx), hs, tags]));
        });
        sec.appendChild(tb.wrap);
      }
      root.appendChild(sec);
    });
  };

  // ---- routing ----------------------------------------------------------
  var route = "";
  function renderAll() {
    renderHeader();
    if (RENDER[route]) RENDER[route]();
  }
  function onRoute() {
    var h = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
    if (!h) { location.replace("#/scheduler"); return; }
    route = NEEDS[h] ? h : "404";
    Array.prototype.forEach.call(document.querySelectorAll(".view"), function (v) {
      v.hidden = v.id !== "view-" + route;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".tabs a"), function (a) {
      var on = a.getAttribute("data-route") === route;
      a.classList.toggle("active", on);
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    renderAll();
    startPolling();
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("api-base").textContent = BASE;
    $("ns-filter").addEventListener("input", function (e) { filterText = e.target.value; RENDER.ns(); });
    window.addEventListener("hashchange", onRoute);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) startPolling(); });
    // Relative times and running durations move on between polls.
    setInterval(function () { if (!document.hidden) renderHeader(); }, 5000);
    onRoute();
  });
})();
