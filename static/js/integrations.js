// Integrations pages: copy a shown-once secret, confirm destructive buttons,
// tick every row at once. Everything works without this file.
(function () {
  "use strict";

  document.addEventListener("click", function (evt) {
    var copy = evt.target.closest("[data-copy-target]");
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy-target"));
      if (!input) return;
      input.select();
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
      return;
    }
    var confirmer = evt.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
      evt.preventDefault();
    }
  });

  document.addEventListener("change", function (evt) {
    var all = evt.target.closest("[data-check-all]");
    if (!all) return;
    var name = all.getAttribute("data-check-all");
    var form = all.form || document;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
