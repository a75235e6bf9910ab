// Review page: keyboard shortcuts for the common path, and the link between a
// form field and its evidence box on the page image.
//   Ctrl/Cmd+Enter  confirm and go to the next document
//   Alt+R           write a rejection reason
//   Alt+1..5        jump to person search, type, name, number, dates
(function () {
  "use strict";

  function boxesFor(field) {
    return document.querySelectorAll('.evidence-box[data-field="' + field + '"]');
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-review-form]");
    if (!form) return;

    form.querySelectorAll("[data-evidence]").forEach(function (input) {
      var field = input.dataset.evidence;
      input.addEventListener("focus", function () {
        boxesFor(field).forEach(function (box) {
          box.classList.add("active");
          box.scrollIntoView({ block: "nearest", behavior: "smooth" });
        });
      });
      input.addEventListener("blur", function () {
        boxesFor(field).forEach(function (box) { box.classList.remove("active"); });
      });
    });
    document.querySelectorAll(".evidence-box").forEach(function (box) {
      box.addEventListener("click", function () {
        var input = form.querySelector('[data-evidence="' + box.dataset.field + '"]');
        if (input && !input.disabled) input.focus();
      });
    });

    // Every date spelled out beside its input ("9 February 2028"), as it is typed.
    document.querySelectorAll("[data-date-spelled]").forEach(function (out) {
      var input = document.getElementById(out.dataset.dateSpelled);
      if (!input) return;
      var show = function () {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
        out.textContent = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toLocaleDateString("en-GB",
          { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }) : "";
      };
      input.addEventListener("input", show);
      input.addEventListener("change", show);
    });

    var jumps = ["r-person-q", "r-credential_type_id", "r-holder_name", "r-license_number", "r-issue_date"];
    document.addEventListener("keydown", function (evt) {
      if ((evt.ctrlKey || evt.metaKey) && evt.key === "Enter") {
        var next = form.querySelector('[data-shortcut="confirm-next"]');
        var inReject = evt.target.closest && evt.target.closest("[data-shortcut-target]");
        if (next && !inReject) {
          evt.preventDefault();
          next.click();
        }
        return;
      }
      if (evt.altKey && !evt.ctrlKey && !evt.metaKey) {
        if (evt.code === "KeyR") {
          var reason = document.querySelector('[data-shortcut-target="reject"]');
          if (reason) { evt.preventDefault(); reason.focus(); }
        }
        var digit = /^Digit([1-5])$/.exec(evt.code);
        if (digit) {
          var target = document.getElementById(jumps[parseInt(digit[1], 10) - 1]);
          if (target) { evt.preventDefault(); target.focus(); }
        }
      }
    });
  });
})();
