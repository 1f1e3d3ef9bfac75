// The console's only script (served from here: the Content-Security-Policy allows no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("batch-form");
  if (form) {
    form.addEventListener("submit", function () {
      var note = document.getElementById("progress");
      if (note) { note.textContent = "Checking… the result appears when every row is done."; }
    });
  }
  var running = document.getElementById("running-batch");
  if (running) {
    var poll = function () {
      fetch(running.dataset.status, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          var bar = document.getElementById("bar");
          bar.max = job.total; bar.value = job.done;
          document.getElementById("count").textContent = job.rows + " rows so far";
          if (job.state === "running") { setTimeout(poll, 400); } else { location.reload(); }
        });
    };
    poll();
  }
});
