// The coordinators' live map. The bearer token lives in this closure only (no cookie, no storage).
(function () {
  "use strict";

  var STATE_COLOURS = { idle: "#868e96", en_route: "#1c7ed6", on_site: "#2f9e44" };
  var ZONE_COLOURS = { urban: "#e8590c", suburban: "#1098ad" };
  var STATE_NAMES = { idle: "idle", en_route: "en route", on_site: "on site" };
  var MAX_BACKOFF_MS = 30000;

  var body = document.body;
  var config = {
    tiles: body.dataset.tiles || "",
    datum: body.dataset.tilesDatum || "wgs84",
    attribution: body.dataset.attribution || ""
  };

  var token = null;
  var map = null;
  var zoneLayer = null;
  var surveyors = new Map();   // surveyor_id -> {props, marker}
  var cases = new Map();       // case_id -> {props, marker}
  var serverOffsetMs = 0;
  var lastEventId = null;
  var source = null;
  var reconnectTimer = null;
  var backoffMs = 1000;
  var snapshotTimer = null;
  var selected = null;
  var fitted = false;

  function $(id) { return document.getElementById(id); }

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- talking to the API -------------------------------------------------------------------

  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (token) headers.Authorization = "Bearer " + token;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
    }
    return fetch(path, { method: options.method || "GET", headers: headers, body: options.body, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 && token) {
          signOut("Your sign-in ended; sign in again.");
          throw new Error("signed out");
        }
        if (response.status === 204) return null;
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data && data.message ? data.message : response.statusText);
          return data;
        });
      });
  }

  function serverNow() { return Date.now() + serverOffsetMs; }

  function setServerTime(iso) {
    serverOffsetMs = Date.parse(iso) - Date.now();
    refreshClocks();
  }

  // --- signing in and out -------------------------------------------------------------------

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    $("login-error").textContent = "";
    api("/api/v1/auth/token", { method: "POST", json: { username: form.username.value, password: form.password.value } })
      .then(function (answer) {
        if (["coordinator", "manager", "admin"].indexOf(answer.user.role) < 0) {
          token = answer.access_token;
          api("/api/v1/auth/token", { method: "DELETE" }).catch(function () {});
          token = null;
          throw new Error("The live map is for coordinators and managers.");
        }
        token = answer.access_token;
        form.password.value = "";
        $("who").textContent = answer.user.display_name + " (" + answer.user.role + ")";
        start();
      })
      .catch(function (error) { $("login-error").textContent = error.message; });
  });

  $("logout").addEventListener("click", function () {
    var leaving = token;
    if (leaving) api("/api/v1/auth/token", { method: "DELETE" }).catch(function () {});
    signOut("");
  });

  function signOut(message) {
    closeStream();
    token = null;
    lastEventId = null;
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message;
  }

  // --- the map ------------------------------------------------------------------------------

  function start() {
    $("login").hidden = true;
    $("app").hidden = false;
    if (!map) {
      map = L.map("map", { preferCanvas: false }).setView([22.55, 114.06], 11);
      if (config.tiles) {
        L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution }).addTo(map);
      }
      setInterval(refreshClocks, 1000);
    }
    map.invalidateSize();
    loadSnapshot().then(connect).catch(showTrouble);
  }

  function showTrouble(error) {
    if (error && error.message === "signed out") return;
    setStatus("reconnecting", "trouble: " + (error && error.message ? error.message : error));
    scheduleReconnect(true);
  }

  function loadSnapshot() {
    return api("/api/v1/live/map?zones=true&crs=" + encodeURIComponent(config.datum)).then(function (collection) {
      lastEventId = collection.last_event_id;
      var seenSurveyors = new Set();
      var seenCases = new Set();
      var zones = [];
      collection.features.forEach(function (feature) {
        var kind = feature.properties.kind;
        if (kind === "surveyor") { upsertSurveyor(feature); seenSurveyors.add(feature.properties.surveyor_id); }
        else if (kind === "case") { upsertCase(feature); seenCases.add(feature.properties.case_id); }
        else if (kind === "zone") zones.push(feature);
      });
      surveyors.forEach(function (entry, id) { if (!seenSurveyors.has(id)) removeSurveyor(id); });
      cases.forEach(function (entry, id) { if (!seenCases.has(id)) removeCase(id); });
      drawZones(zones);
      setServerTime(collection.generated_at);
      updateCounts();
      if (!fitted) fitAll();
    });
  }

  function fitAll() {
    var points = [];
    surveyors.forEach(function (entry) { if (entry.marker) points.push(entry.marker.getLatLng()); });
    cases.forEach(function (entry) { if (entry.marker) points.push(entry.marker.getLatLng()); });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 14 });
      fitted = true;
    }
  }

  function drawZones(features) {
    if (zoneLayer) zoneLayer.remove();
    zoneLayer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      interactive: false,
      style: function (feature) {
        var colour = ZONE_COLOURS[feature.properties.coverage] || "#495057";
        return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.12, className: "zone" };
      }
    }).addTo(map);
    zoneLayer.bringToBack();
  }

  function latLng(geometry) {
    return geometry ? [geometry.coordinates[1], geometry.coordinates[0]] : null;
  }

  function upsertSurveyor(feature) {
    var props = feature.properties;
    var id = props.surveyor_id;
    var entry = surveyors.get(id);
    if (!props.on_duty && props.state === "idle") { removeSurveyor(id); return; }
    var where = latLng(feature.geometry);
    if (!entry) { entry = { props: props, marker: null }; surveyors.set(id, entry); }
    else if (!where && entry.marker) where = entry.marker.getLatLng();
    entry.props = Object.assign({}, entry.props, props);
    placeSurveyor(entry, where);
    if (selected === id) showDetail(id);
  }

  function placeSurveyor(entry, where) {
    var props = entry.props;
    var colour = STATE_COLOURS[props.state] || "#495057";
    if (!where) return;
    if (!entry.marker) {
      entry.marker = L.circleMarker(where, {
        radius: 8, weight: 2, color: "#fff", fillColor: colour, fillOpacity: 0.95,
        className: "surveyor surveyor-" + props.surveyor_id
      }).addTo(map);
      entry.marker.on("click", function () { select(props.surveyor_id); });
      entry.marker.bindTooltip("");
    } else {
      entry.marker.setLatLng(where);
      entry.marker.setStyle({ fillColor: colour });
    }
    var path = entry.marker.getElement();
    if (path) path.setAttribute("data-state", props.state);
    entry.marker.setTooltipContent(props.name + " · " + (STATE_NAMES[props.state] || props.state));
  }

  function removeSurveyor(id) {
    var entry = surveyors.get(id);
    if (entry && entry.marker) entry.marker.remove();
    surveyors.delete(id);
    if (selected === id) { selected = null; $("detail").hidden = true; }
  }

  function movePositions(positions) {
    var unknown = false;
    positions.forEach(function (p) {
      var entry = surveyors.get(p.surveyor_id);
      if (!entry) { unknown = true; return; }
      if (entry.props.fix_time && Date.parse(p.fix_time) < Date.parse(entry.props.fix_time)) return;
      entry.props = Object.assign({}, entry.props, {
        fix_time: p.fix_time, accuracy_m: p.accuracy_m, battery: p.battery, speed_kmh: p.speed_kmh
      });
      placeSurveyor(entry, [p.coordinates[1], p.coordinates[0]]);
      if (selected === p.surveyor_id) showDetail(p.surveyor_id);
    });
    if (unknown) scheduleSnapshot();
  }

  function scheduleSnapshot() {
    // A surveyor came on duty since the map was read: read it again, at most every few seconds.
    if (snapshotTimer) return;
    snapshotTimer = setTimeout(function () {
      snapshotTimer = null;
      loadSnapshot().catch(showTrouble);
    }, 3000);
  }

  // --- sites and their clocks ---------------------------------------------------------------

  function upsertCase(feature) {
    var props = feature.properties;
    var id = props.case_id;
    if (props.closed_at) { removeCase(id); return; }
    var entry = cases.get(id);
    var where = latLng(feature.geometry);
    if (!entry) {
      entry = { props: props, marker: null };
      cases.set(id, entry);
      if (where) {
        var icon = L.divIcon({ className: "site", html: element("span", { "class": "site-icon" }), iconSize: [0, 0] });
        entry.marker = L.marker(where, { icon: icon, keyboard: false, title: props.report_number }).addTo(map);
        entry.marker.getElement().setAttribute("data-case-id", id);
      }
    }
    entry.props = props;
    refreshCase(entry);
    refreshDeadlines();
  }

  function removeCase(id) {
    var entry = cases.get(id);
    if (entry && entry.marker) entry.marker.remove();
    cases.delete(id);
    refreshDeadlines();
  }

  // A running clock is missed the moment its due time passes, whatever the last message said.
  function reading(clock) {
    if (!clock) return null;
    var due = clock.due_at ? Date.parse(clock.due_at) : null;
    var state = clock.state;
    var left = clock.minutes_left;
    if ((state === "pending" || state === "at_risk") && due !== null) {
      left = (due - serverNow()) / 60000;
      if (left < 0) state = "missed";
    } else if (state === "missed" && due !== null && !clock.done_at) {
      left = (due - serverNow()) / 60000;
    }
    return { state: state, due: due, left: left, noTimeAgreed: clock.no_time_agreed };
  }

  function minutesText(left) {
    if (left === null || left === undefined) return "";
    var whole = Math.floor(Math.abs(left));
    return left >= 0 ? whole + " min left" : Math.max(whole, 1) + " min late";
  }

  function refreshCase(entry) {
    if (!entry.marker) return;
    var node = entry.marker.getElement();
    var label = node.querySelector(".site-icon");
    var dispatch = entry.props.dispatch;
    var arrival = dispatch ? reading(dispatch.arrival) : null;
    var state = !dispatch ? "waiting" : (arrival ? arrival.state : "pending");
    var text;
    if (!dispatch) text = "waiting";
    else if (!arrival) text = "no visit";
    else if (arrival.state === "met") text = "on site";
    else if (arrival.noTimeAgreed) text = "no time";
    else if (arrival.left === null || arrival.left === undefined) text = arrival.state;
    else text = arrival.left >= 0 ? Math.floor(arrival.left) + "′" : "−" + Math.max(1, Math.floor(-arrival.left)) + "′";
    node.setAttribute("data-state", state);
    label.textContent = text;
    entry.marker.options.title = entry.props.report_number;
  }

  function refreshClocks() {
    cases.forEach(refreshCase);
    refreshDeadlines();
    $("server-time").textContent = new Date(serverNow()).toLocaleTimeString();
  }

  function refreshDeadlines() {
    var items = [];
    cases.forEach(function (entry) {
      var dispatch = entry.props.dispatch;
      if (!dispatch) return;
      ["contact", "arrival"].forEach(function (name) {
        var r = reading(dispatch[name]);
        if (r && (r.state === "missed" || r.state === "at_risk")) items.push({ entry: entry, dispatch: dispatch, name: name, r: r });
      });
    });
    // Missed first, the longest overdue on top; then at-risk, the soonest due first.
    items.sort(function (a, b) {
      if (a.r.state !== b.r.state) return a.r.state === "missed" ? -1 : 1;
      return (a.r.due || 0) - (b.r.due || 0);
    });
    var list = $("deadlines");
    list.textContent = "";
    items.forEach(function (item) {
      var li = element("li", { "data-state": item.r.state, "data-case-id": item.entry.props.case_id, "data-clock": item.name });
      li.appendChild(element("span", { "class": "when" }, item.r.noTimeAgreed ? "no time agreed" : minutesText(item.r.left)));
      li.appendChild(element("span", { "class": "what" }, item.entry.props.report_number + " · " + item.name + " " + item.r.state.replace("_", " ")));
      li.appendChild(element("div", { "class": "who muted" }, item.dispatch.surveyor_name || ""));
      li.addEventListener("click", function () {
        if (item.entry.marker) map.panTo(item.entry.marker.getLatLng());
        if (item.dispatch.surveyor_id && surveyors.has(item.dispatch.surveyor_id)) select(item.dispatch.surveyor_id);
      });
      list.appendChild(li);
    });
    $("no-deadlines").hidden = items.length > 0;
  }

  function updateCounts() {
    $("counts").textContent = surveyors.size + " surveyors · " + cases.size + " open cases";
  }

  // --- a surveyor's current dispatch and its timeline ---------------------------------------

  function select(id) {
    selected = id;
    showDetail(id);
    loadTimeline(id);
  }

  function fact(list, name, value) {
    list.appendChild(element("dt", {}, name));
    list.appendChild(element("dd", {}, value === null || value === undefined || value === "" ? "—" : value));
  }

  function showDetail(id) {
    var entry = surveyors.get(id);
    if (!entry) return;
    var p = entry.props;
    $("detail").hidden = false;
    $("detail-title").textContent = p.name;
    var facts = $("detail-facts");
    facts.textContent = "";
    fact(facts, "state", STATE_NAMES[p.state] || p.state);
    fact(facts, "branch", p.branch_code);
    fact(facts, "last fix", p.fix_time ? Math.max(0, Math.round((serverNow() - Date.parse(p.fix_time)) / 1000)) + " s ago" : "none yet");
    fact(facts, "accuracy", p.accuracy_m !== null && p.accuracy_m !== undefined ? Math.round(p.accuracy_m) + " m" : null);
    fact(facts, "battery", p.battery !== null && p.battery !== undefined ? Math.round(p.battery * 100) + " %" : null);
    fact(facts, "speed", p.speed_kmh !== null && p.speed_kmh !== undefined ? p.speed_kmh + " km/h" : null);
    var site = p.case_id ? cases.get(p.case_id) : null;
    if (site && site.props.dispatch) {
      var d = site.props.dispatch;
      fact(facts, "dispatch", "#" + d.dispatch_id + " · " + site.props.report_number + " (" + site.props.coverage + ")");
      ["contact", "arrival"].forEach(function (name) {
        var r = reading(d[name]);
        if (r) fact(facts, name, r.state.replace("_", " ") + (r.noTimeAgreed ? " · no time agreed" : " · " + minutesText(r.left)));
      });
    }
    $("no-dispatch").hidden = Boolean(p.dispatch_id);
    if (!p.dispatch_id) $("timeline").textContent = "";
  }

  function loadTimeline(id) {
    var entry = surveyors.get(id);
    if (!entry || !entry.props.dispatch_id) return;
    api("/api/v1/dispatches/" + entry.props.dispatch_id + "/timeline?crs=" + encodeURIComponent(config.datum))
      .then(function (entries) {
        if (selected !== id) return;
        var list = $("timeline");
        list.textContent = "";
        entries.forEach(function (e) {
          var what = e.kind === "clock" && e.data ? e.data.clock + " → " + e.data.to : e.kind.replace("_", " ");
          list.appendChild(element("li", {}, new Date(e.at).toLocaleTimeString() + " · " + what + " (" + e.source + ")"));
        });
      })
      .catch(function () {});
  }

  // --- the event stream ---------------------------------------------------------------------

  function setStatus(state, text) {
    var node = $("status");
    node.setAttribute("data-state", state);
    node.textContent = text;
  }

  function closeStream() {
    if (source) { source.close(); source = null; }
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
  }

  function connect() {
    closeStream();
    if (!token) return Promise.resolve();
    setStatus("connecting", "connecting…");
    return api("/api/v1/live/tickets", { method: "POST" }).then(function (answer) {
      var url = "/api/v1/live/stream?ticket=" + encodeURIComponent(answer.ticket) + "&crs=" + encodeURIComponent(config.datum);
      if (lastEventId) url += "&last_event_id=" + encodeURIComponent(lastEventId);
      source = new EventSource(url);
      source.addEventListener("ready", function (e) { remember(e); backoffMs = 1000; setStatus("live", "live"); setServerTime(JSON.parse(e.data).now); });
      source.addEventListener("time", function (e) { setServerTime(JSON.parse(e.data).now); });
      source.addEventListener("positions", function (e) { remember(e); movePositions(JSON.parse(e.data)); });
      source.addEventListener("change", function (e) { remember(e); applyChange(JSON.parse(e.data)); });
      source.addEventListener("resync", function () {
        closeStream();
        loadSnapshot().then(connect).catch(showTrouble);
      });
      source.addEventListener("end", function () { signOut("Your sign-in ended; sign in again."); });
      // The ticket is single-use: the browser's own retry would fail, so reconnect with a new one.
      source.onerror = function () { scheduleReconnect(false); };
    }).catch(showTrouble);
  }

  function remember(event) {
    if (event.lastEventId) lastEventId = event.lastEventId;
  }

  function scheduleReconnect(reload) {
    if (source) { source.close(); source = null; }
    if (reconnectTimer || !token) return;
    setStatus("reconnecting", "reconnecting…");
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      (reload ? loadSnapshot() : Promise.resolve()).then(connect).catch(showTrouble);
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }

  function applyChange(change) {
    if (change.case) upsertCase(change.case);
    else if (change.message && change.message.case_id && change.topic === "case.closed") removeCase(change.message.case_id);
    if (change.surveyor) upsertSurveyor(change.surveyor);
    updateCounts();
    if (selected !== null && change.message && change.message.surveyor_id === selected) loadTimeline(selected);
  }
})();
