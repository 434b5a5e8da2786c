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
});
