/**
 * The deployment page's only script: reads the log on from where the page left it, while the
 * deploy runs, and reloads the page once the deploy has ended. Lines go in as text, never as
 * markup.
 */
export const LIVE_LOG_SCRIPT = `"use strict";
(function () {
  var log = document.getElementById("log");
  if (!log) return;
  var state = document.getElementById("log-state");
  var url = log.dataset.url;
  var cursor = log.dataset.cursor || "";
  var attempt = log.dataset.attempt;
  var shownStatus = log.dataset.status;
  var ACTIVE = { queued: true, running: true };
  // Command output is numbered per step as the server numbers it; platform lines are not.
  var counted = {};
  Array.prototype.forEach.call(log.querySelectorAll(".line[data-n]"), function (row) {
    counted[row.dataset.step] = Number(row.dataset.n);
  });

  function append(lines) {
    var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    lines.forEach(function (l) {
      var row = document.createElement("div");
      row.className = "line " + (l.stream === "stderr" ? "stderr" : l.stream === "system" ? "system" : "");
      row.dataset.step = l.step;
      var number = "\u203a";
      if (l.stream !== "system") {
        number = counted[l.step] = (counted[l.step] || 0) + 1;
        row.dataset.n = String(number);
      }
      var n = document.createElement("span");
      n.className = "n";
      n.textContent = l.step + " " + number;
      var t = document.createElement("span");
      t.className = "t";
      t.textContent = l.line;
      row.appendChild(n);
      row.appendChild(t);
      log.appendChild(row);
    });
    if (atBottom && lines.length > 0) window.scrollTo(0, document.body.scrollHeight);
  }

  function showSteps(steps) {
    steps.forEach(function (s) {
      var cell = document.querySelector('[data-step-status="' + s.name + '"]');
      if (cell && cell.textContent !== s.status) {
        cell.textContent = s.status;
        cell.className = "status " + s.status;
      }
    });
  }

  function poll() {
    var query = "?cursor=" + encodeURIComponent(cursor) + "&attempt=" + encodeURIComponent(attempt);
    fetch(url + query, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("log: HTTP " + response.status);
        return response.json();
      })
      .then(function (page) {
        if (page.reset) {
          log.textContent = "";
          counted = {};
          attempt = String(page.attempt);
        }
        append(page.lines);
        cursor = page.cursor;
        showSteps(page.steps);
        if (page.more) return poll();
        if (!ACTIVE[page.status]) {
          if (ACTIVE[shownStatus]) window.location.reload();
          if (state) state.textContent = "";
          return;
        }
        var badge = document.getElementById("deployment-status");
        if (badge && badge.textContent !== page.status) {
          badge.textContent = page.status;
          badge.className = "status " + page.status;
        }
        if (state) state.textContent = "(following: " + page.status + ")";
        setTimeout(poll, 1000);
      })
      .catch(function (error) {
        if (state) state.textContent = "(" + error.message + ": retrying)";
        setTimeout(poll, 3000);
      });
  }
  poll();
})();
`;
