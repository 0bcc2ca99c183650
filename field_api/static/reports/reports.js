// The managers' report page. The bearer token lives in this closure only (no cookie, no storage).
(function () {
  "use strict";

  var READERS = ["coordinator", "manager", "admin"];
  var token = null;

  function $(id) { return document.getElementById(id); }

  function headers(extra) {
    return Object.assign({ Authorization: "Bearer " + token }, extra || {});
  }

  function query() {
    var form = $("pick");
    var params = new URLSearchParams();
    if (form.branch.value.trim()) params.set("branch", form.branch.value.trim());
    if (form.period.value.trim()) params.set("period", form.period.value.trim());
    return params;
  }

  function failure(response) {
    return response.json().then(function (body) {
      var fields = body && body.errors ? " " + JSON.stringify(body.errors) : "";
      throw new Error((body && body.message ? body.message : response.statusText) + fields);
    }, function () { throw new Error(response.statusText); });
  }

  function load() {
    $("error").textContent = "";
    $("report").setAttribute("aria-busy", "true");
    fetch("/reports/table?" + query().toString(), { headers: headers({ Accept: "text/html" }), cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : failure(response); })
      .then(function (html) {
        // Server-rendered from templates with autoescaping; no script runs from it under the page policy.
        $("report").innerHTML = html;
        $("report").removeAttribute("aria-busy");
        document.body.dataset.loaded = "true";
      })
      .catch(function (error) { $("error").textContent = error.message; });
  }

  function downloadCsv() {
    var params = query();
    params.set("format", "csv");
    fetch("/api/v1/reports/compliance?" + params.toString(), { headers: headers(), cache: "no-store" })
      .then(function (response) { return response.ok ? response.blob() : failure(response); })
      .then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "compliance.csv";
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      })
      .catch(function (error) { $("error").textContent = error.message; });
  }

  var COLUMNS = ["kind", "branch", "report_number", "day", "at", "item", "contact", "arrival", "outcome", "status",
                 "notice", "contact_cause", "arrival_cause", "to_contact_min", "to_arrive_min", "sealed_at",
                 "complete", "missing", "photo_kind", "far", "location_check", "distance_m", "surveyors"];

  function cell(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join(", ");
    return String(value);
  }

  function showRecords(row) {
    var params = new URLSearchParams({ branch: row.dataset.branch, period: row.dataset.period,
                                       measure: row.dataset.measure, part: "denominator", page_size: "100" });
    fetch("/api/v1/reports/compliance/records?" + params.toString(), { headers: headers(), cache: "no-store" })
      .then(function (response) {
        if (!response.ok) return failure(response);
        var paging = JSON.parse(response.headers.get("X-Pagination") || "{}");
        return response.json().then(function (rows) { return { rows: rows, total: paging.total }; });
      })
      .then(function (answer) {
        var shown = COLUMNS.filter(function (c) { return answer.rows.some(function (r) { return r[c] !== undefined; }); });
        $("records-title").textContent = row.cells[0].textContent + " · " + row.dataset.branch;
        $("records-count").textContent = (answer.total || 0) + " records" + (answer.total > 100 ? " (first 100)" : "");
        $("records-head").replaceChildren.apply($("records-head"), shown.map(function (c) {
          var th = document.createElement("th"); th.textContent = c.replace(/_/g, " "); return th;
        }));
        $("records-body").replaceChildren.apply($("records-body"), answer.rows.map(function (r) {
          var tr = document.createElement("tr");
          shown.forEach(function (c) { var td = document.createElement("td"); td.textContent = cell(r[c]); tr.appendChild(td); });
          return tr;
        }));
        $("records").hidden = false;
        $("records").scrollIntoView({ block: "nearest" });
      })
      .catch(function (error) { $("error").textContent = error.message; });
  }

  $("report").addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-measure]");
    if (row) showRecords(row);
  });
  $("records-close").addEventListener("click", function () { $("records").hidden = true; });

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    $("login-error").textContent = "";
    fetch("/api/v1/auth/token", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    })
      .then(function (response) { return response.ok ? response.json() : failure(response); })
      .then(function (answer) {
        token = answer.access_token;
        if (READERS.indexOf(answer.user.role) < 0) {
          fetch("/api/v1/auth/token", { method: "DELETE", headers: headers() });
          token = null;
          throw new Error("Reports are for coordinators, managers and admins.");
        }
        $("who").textContent = answer.user.display_name || answer.user.username;
        $("login").hidden = true;
        $("app").hidden = false;
        load();
      })
      .catch(function (error) { $("login-error").textContent = error.message; });
  });

  $("pick").addEventListener("submit", function (event) { event.preventDefault(); load(); });
  $("csv").addEventListener("click", downloadCsv);
  $("logout").addEventListener("click", function () {
    if (token) fetch("/api/v1/auth/token", { method: "DELETE", headers: headers() });
    token = null;
    $("report").innerHTML = "";
    $("app").hidden = true;
    $("login").hidden = false;
  });
}());
