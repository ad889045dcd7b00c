// Meshplane marketplace: the little script the pages need (htmx does the rest).
// - copy buttons on code snippets;
// - the lineage drawing: zoom (wheel, buttons) and pan (drag) by moving the SVG's viewBox, clicks on boxes kept;
// - the query editor: Ctrl+Enter (Cmd+Enter) runs it, "Query this table" buttons fill it.
(function () {
  "use strict";

  // -- copy buttons ---------------------------------------------------------------------------------
  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
  }

  // The clipboard API where the page may use it, else (or when it refuses) the selection and execCommand.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { copyWithSelection(text); });
    }
    copyWithSelection(text);
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    copyText(source.textContent).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("done");
      button.setAttribute("data-copied", "true");
      setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 1500);
    });
  });

  // -- lineage: zoom and pan ------------------------------------------------------------------------
  var MIN_SCALE = 0.2, MAX_SCALE = 8, DRAG_THRESHOLD = 4;

  function setupLineage(frame) {
    var svg = frame.querySelector("svg.lineage");
    if (!svg || svg.dataset.ready) return;
    svg.dataset.ready = "1";
    var full = { x: 0, y: 0, w: parseFloat(svg.dataset.width), h: parseFloat(svg.dataset.height) };
    var view = { x: full.x, y: full.y, w: full.w, h: full.h };

    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) { return n.toFixed(1); }).join(" "));
      svg.dataset.scale = (full.w / view.w).toFixed(3);
    }

    // The point of the drawing under a screen position (the SVG keeps its aspect ratio: "meet").
    function toDrawing(clientX, clientY) {
      var box = svg.getBoundingClientRect();
      var scale = Math.min(box.width / view.w, box.height / view.h);
      var offsetX = (box.width - view.w * scale) / 2, offsetY = (box.height - view.h * scale) / 2;
      return { x: view.x + (clientX - box.left - offsetX) / scale, y: view.y + (clientY - box.top - offsetY) / scale, scale: scale };
    }

    function zoom(factor, clientX, clientY) {
      var current = full.w / view.w;
      var next = Math.max(MIN_SCALE, Math.min(MAX_SCALE, current * factor));
      factor = next / current;
      if (factor === 1) return;
      var box = svg.getBoundingClientRect();
      if (clientX === undefined) { clientX = box.left + box.width / 2; clientY = box.top + box.height / 2; }
      var p = toDrawing(clientX, clientY);
      view.x = p.x - (p.x - view.x) / factor;
      view.y = p.y - (p.y - view.y) / factor;
      view.w /= factor;
      view.h /= factor;
      apply();
    }

    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX, event.clientY);
    }, { passive: false });

    var drag = null, suppressClick = false;
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, view: { x: view.x, y: view.y }, moved: false, id: event.pointerId };
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < DRAG_THRESHOLD) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.classList.add("dragging");
        try { svg.setPointerCapture(drag.id); } catch (e) { /* pointer already gone */ }
      }
      var scale = toDrawing(event.clientX, event.clientY).scale;
      view.x = drag.view.x - dx / scale;
      view.y = drag.view.y - dy / scale;
      apply();
    });
    function endDrag() {
      if (drag && drag.moved) suppressClick = true;
      drag = null;
      svg.classList.remove("dragging");
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    // A drag that ends on a box is not a click on it.
    svg.addEventListener("click", function (event) {
      if (suppressClick) { event.preventDefault(); event.stopPropagation(); suppressClick = false; }
    }, true);

    frame.querySelectorAll("button[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var what = button.getAttribute("data-zoom");
        if (what === "in") zoom(1.3);
        else if (what === "out") zoom(1 / 1.3);
        else { view = { x: full.x, y: full.y, w: full.w, h: full.h }; apply(); }
      });
    });
    apply();
  }

  function setupAll(root) {
    (root || document).querySelectorAll(".lineage-frame").forEach(setupLineage);
  }

  // -- query editor ---------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    var editor = event.target.closest && event.target.closest("textarea[data-run-on-ctrl-enter]");
    if (!editor || event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (editor.form) editor.form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-sql]");
    if (!button) return;
    var editor = document.querySelector("textarea[data-run-on-ctrl-enter]");
    if (!editor) return;
    editor.value = button.getAttribute("data-sql");
    editor.focus();
  });

  document.addEventListener("DOMContentLoaded", function () { setupAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setupAll(event.target); });
})();
