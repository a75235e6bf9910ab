// Review page: keyboard shortcuts for the common path, the link between a
// form field and its evidence box on the page image, and the page view
// (zoom and rotate).
//   Ctrl/Cmd+Enter  confirm and go to the next document
//   Alt+R           write a rejection reason
//   Alt+1..5        jump to person search, type, name, number, dates
(function () {
  "use strict";

  function boxesFor(field) {
    return document.querySelectorAll('.evidence-box[data-field="' + field + '"]');
  }

  // Page view: zoom in steps (the page grows inside a scrolling frame) and
  // quarter turns. A turned page is rotated with its evidence layer, scaled to
  // the frame's width and given the room its new height needs.
  var ZOOMS = [100, 150, 200, 300];

  function pageView(tools) {
    var frame = document.querySelector("[data-doc-pages]");
    if (!frame) return;
    var zoom = 0, turn = 0;
    var level = tools.querySelector("[data-doc-zoom-level]");
    var said = tools.querySelector("[data-doc-view-state]");

    function placeTurned() {
      frame.querySelectorAll(".doc-page").forEach(function (page) {
        page.style.removeProperty("transform");
        page.style.removeProperty("margin-top");
        page.style.removeProperty("margin-bottom");
        if (!turn) return;
        var w = page.offsetWidth, h = page.offsetHeight;
        var quarter = turn % 180 !== 0;
        var scale = quarter && h > 0 ? Math.min(1, w / h) : 1;
        page.style.transform = "rotate(" + turn + "deg) scale(" + scale + ")";
        if (quarter) {  // (the page's mb-3 is !important: so is the room below it)
          var room = (w * scale - h) / 2;
          page.style.setProperty("margin-top", room + "px");
          page.style.setProperty("margin-bottom", (room + 16) + "px", "important");
        }
      });
    }

    function show() {
      if (zoom) frame.dataset.zoom = String(ZOOMS[zoom]); else delete frame.dataset.zoom;
      level.textContent = ZOOMS[zoom] + "%";
      said.textContent = turn ? "Turned " + turn + "°" : "";
      placeTurned();
    }

    tools.addEventListener("click", function (evt) {
      var button = evt.target.closest("button");
      if (!button) return;
      var step = button.dataset.docZoom;
      if (step === "in") zoom = Math.min(ZOOMS.length - 1, zoom + 1);
      else if (step === "out") zoom = Math.max(0, zoom - 1);
      else if (step === "fit") zoom = 0;
      else if (button.hasAttribute("data-doc-rotate")) turn = (turn + 90) % 360;
      show();
    });
    frame.querySelectorAll("img").forEach(function (img) { img.addEventListener("load", placeTurned); });
    window.addEventListener("resize", placeTurned);
    tools.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tools = document.querySelector("[data-doc-tools]");
    if (tools) pageView(tools);
  });

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
