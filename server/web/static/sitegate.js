// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Ask before irreversible actions: a form (退场) or the button that submits it (豁免) carries
  // data-confirm with the question; cancelling keeps the form unsent.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var source = ev.submitter && ev.submitter.hasAttribute("data-confirm") ? ev.submitter : form;
      var question = source.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { ev.preventDefault(); }
    });
  });

  // Resolving or waiving a finding (inspector's month page) stays in place: the form posts in
  // the background and its row changes; without this script the post comes back to the row.
  document.querySelectorAll("form.finding-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented || !window.fetch || !window.FormData) { return; }
      ev.preventDefault();
      var note = form.querySelector(".finding-note");
      var buttons = form.querySelectorAll("button");
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
      buttons.forEach(function (b) { b.disabled = true; });
      if (note) { note.textContent = form.getAttribute("data-saving") || "…"; }
      // form.action would be the buttons named "action": the attribute is the address.
      fetch(form.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok && body.ok, body: body }; });
      }).then(function (res) {
        if (!res.ok) {
          buttons.forEach(function (b) { b.disabled = false; });
          if (note) { note.textContent = res.body.message || ""; note.className = "finding-note flash err"; }
          return;
        }
        var row = form.closest("tr");
        if (row) {
          row.className = row.className.replace(/finding-\w+/, "finding-" + res.body.status);
          var status = row.querySelector(".finding-status");
          if (status) {
            status.textContent = res.body.status_text + " ";
            var done = document.createElement("span");
            done.className = "badge ok finding-done";
            done.setAttribute("role", "status");
            done.textContent = "✔ " + res.body.message;
            status.appendChild(done);
          }
          var history = row.querySelector(".finding-history");
          var comment = data.get("comment");
          if (history && comment) {
            var line = document.createElement("div");
            line.className = "muted";
            line.textContent = res.body.status_text + ": " + comment;
            history.appendChild(line);
          }
        }
        form.parentNode.removeChild(form);
      }).catch(function () { form.submit(); });  // no answer: the plain post still works
    });
  });

  // The full chain re-check runs in the background: poll its progress while it runs, and show
  // the page again (with the result) when it is done.
  var check = document.getElementById("chain-check");
  if (check && check.getAttribute("data-state") === "running" && window.fetch) {
    var text = check.querySelector(".chain-check-text");
    var bar = check.querySelector("progress");
    var poll = function () {
      fetch(check.getAttribute("data-url"), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (s) {
        if (s.state !== "running") { window.location.hash = "chains"; window.location.reload(); return; }
        if (bar) { bar.max = s.events_total || 1; bar.value = s.events_done; }
        if (text) {
          text.textContent = text.getAttribute("data-template")
            .replace("{g}", s.gates_done).replace("{gt}", s.gates_total)
            .replace("{e}", s.events_done).replace("{et}", s.events_total);
        }
        window.setTimeout(poll, 1500);
      }).catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
});
