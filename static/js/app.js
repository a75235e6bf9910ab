// Small behaviours shared by every page. Pages work without this file; it
// only adds feedback for HTMX requests that fail.
(function () {
  "use strict";

  function toast(message) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "alert alert-danger shadow";
    el.setAttribute("role", "alert");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 6000);
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr.status;
    var messages = {
      400: "The request was refused. Reload the page and try again.",
      403: "You are not allowed to do that.",
      404: "That item no longer exists, or is not yours to see.",
      409: "Someone else changed this at the same time. Reload to see their change.",
      413: "That file is too large.",
      429: "Too many requests. Wait a moment and try again."
    };
    toast(messages[status] || "Something went wrong (" + status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection.");
  });
})();
