// Uploads: drag and drop or pick files (several at once, or a phone photo),
// one request per file with its own progress bar, then the server's status
// element (which polls itself with HTMX until the document is read).
// Without this script the form posts normally and the page lists results.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function errorItem(name, message) {
    var item = el("div", "list-group-item upload-item upload-error py-3");
    item.setAttribute("role", "alert");
    var head = el("div", "d-flex flex-wrap justify-content-between gap-2");
    head.appendChild(el("span", "fw-semibold text-break", name));
    head.appendChild(el("span", "badge text-bg-danger", "Not uploaded"));
    item.appendChild(head);
    item.appendChild(el("p", "small mb-0 mt-1", message));
    return item;
  }

  function progressItem(name) {
    var item = el("div", "list-group-item upload-item py-3");
    var head = el("div", "d-flex flex-wrap justify-content-between gap-2");
    head.appendChild(el("span", "fw-semibold text-break", name));
    var pct = el("span", "small text-secondary", "0%");
    head.appendChild(pct);
    item.appendChild(head);
    // A native <progress> draws its own bar: no width to set as a style.
    var bar = el("progress", "upload-progress mt-2");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress for " + name);
    item.appendChild(bar);
    item.setProgress = function (value) {
      var v = Math.round(value);
      bar.value = v;
      pct.textContent = v < 100 ? v + "%" : "Sent";
    };
    return item;
  }

  function replaceWithHtml(item, html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    var fresh = box.querySelector("#upload_results") || box;
    var nodes = Array.prototype.slice.call(fresh.children);
    if (!nodes.length) return;
    nodes.forEach(function (node) { item.parentNode.insertBefore(node, item); });
    item.remove();
    if (window.htmx) nodes.forEach(function (node) { window.htmx.process(node); });
  }

  function setUp(form) {
    var results = document.querySelector(form.dataset.results || "#upload_results");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var maxMb = form.dataset.maxMb;
    var accepted = (form.dataset.acceptedTypes || "").split(",");
    var extensions = [".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif"];
    var zone = form.querySelector("[data-dropzone]");
    form.classList.add("js-upload");

    function looksAccepted(file) {
      if (file.type && accepted.indexOf(file.type) >= 0) return true;
      var lower = file.name.toLowerCase();
      return extensions.some(function (ext) { return lower.slice(-ext.length) === ext; });
    }

    function send(file) {
      var placeholder = results.querySelector(".upload-placeholder");
      if (placeholder) placeholder.remove();
      if (file.size > maxBytes) {
        results.prepend(errorItem(file.name, "This file is larger than the " + maxMb + " MB limit. Scan it at a lower resolution or as a PDF."));
        return;
      }
      if (file.size === 0) {
        results.prepend(errorItem(file.name, "This file is empty."));
        return;
      }
      if (!looksAccepted(file)) {
        results.prepend(errorItem(file.name, "This is not a certificate file we can read. Upload a PDF, PNG, JPEG, TIFF or HEIC."));
        return;
      }
      var item = progressItem(file.name);
      results.prepend(item);
      var data = new FormData();
      data.append("csrf_token", csrfToken());
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.upload.addEventListener("progress", function (evt) {
        if (evt.lengthComputable) item.setProgress(evt.loaded * 100 / evt.total);
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 413) {
          item.replaceWith(errorItem(file.name, "This file is larger than the " + maxMb + " MB limit."));
        } else if (xhr.status === 400 || xhr.status === 403) {
          item.replaceWith(errorItem(file.name, "The upload was refused. Reload the page and try again."));
        } else if (xhr.responseText && xhr.status < 500) {
          replaceWithHtml(item, xhr.responseText);
        } else {
          item.replaceWith(errorItem(file.name, "The server could not store this file (" + xhr.status + "). Try again."));
        }
      });
      xhr.addEventListener("error", function () {
        item.replaceWith(errorItem(file.name, "The upload failed. Check your connection and try again."));
      });
      xhr.send(data);
    }

    function sendAll(files) {
      Array.prototype.forEach.call(files, send);
    }

    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () {
        sendAll(input.files);
        input.value = "";
      });
    });
    form.addEventListener("submit", function (evt) { evt.preventDefault(); });
    if (zone) {
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (evt) { evt.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (evt) {
        evt.preventDefault();
        if (evt.dataTransfer && evt.dataTransfer.files) sendAll(evt.dataTransfer.files);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload-form]").forEach(setUp);
  });
})();
