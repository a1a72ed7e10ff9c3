/* Write / Preview for Markdown fields (.md-editor, see templates/writing/_macros.html).
   The preview is rendered by the server (POST writing.preview: same renderer, sanitiser and limits as
   saving), so what you see is what will be stored. Without JavaScript the form's own Preview button
   posts the form and the page comes back with the rendering above the text. */
(function () {
  "use strict";

  var counter = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function attach(editor) {
    var textarea = editor.querySelector("textarea");
    var fieldBox = textarea && textarea.closest(".field");
    if (!textarea || !fieldBox || !window.fetch) { return; }
    counter += 1;
    var id = "md-" + counter;
    var noJs = editor.querySelector(".md-preview-nojs");
    if (noJs) { noJs.hidden = true; }

    var tablist = document.createElement("div");
    tablist.className = "md-tabs";
    tablist.setAttribute("role", "tablist");
    tablist.setAttribute("aria-label", "Write or preview");
    var writeTab = makeTab("Write", id + "-write", id + "-write-panel", true);
    var previewTab = makeTab("Preview", id + "-preview", id + "-preview-panel", false);
    tablist.appendChild(writeTab);
    tablist.appendChild(previewTab);

    fieldBox.id = id + "-write-panel";
    fieldBox.setAttribute("role", "tabpanel");
    fieldBox.setAttribute("aria-labelledby", writeTab.id);

    var panel = document.createElement("div");
    panel.id = id + "-preview-panel";
    panel.className = "md-preview prose";
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", previewTab.id);
    panel.setAttribute("aria-live", "polite");
    panel.tabIndex = 0;
    panel.hidden = true;

    fieldBox.parentNode.insertBefore(tablist, fieldBox);
    fieldBox.parentNode.insertBefore(panel, fieldBox.nextSibling);

    function select(preview) {
      writeTab.setAttribute("aria-selected", String(!preview));
      previewTab.setAttribute("aria-selected", String(preview));
      writeTab.tabIndex = preview ? -1 : 0;
      previewTab.tabIndex = preview ? 0 : -1;
      fieldBox.hidden = preview;
      panel.hidden = !preview;
      if (preview) { render(); }
    }

    function render() {
      panel.textContent = "Rendering the preview…";
      var data = new FormData();
      data.append("text", textarea.value);
      data.append("limit", editor.getAttribute("data-limit") || "");
      data.append("csrf_token", csrfToken());
      fetch(editor.getAttribute("data-preview-url"), {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return { error: "The preview is not available right now." }; });
      }).then(function (result) {
        if (result.error) {
          panel.innerHTML = "";
          var p = document.createElement("p");
          p.className = "error";
          p.textContent = result.error;
          panel.appendChild(p);
        } else if (!textarea.value.trim()) {
          panel.innerHTML = '<p class="muted">Nothing to preview yet.</p>';
        } else {
          panel.innerHTML = result.html;  // sanitised by the server (nh3), like every stored post
        }
      }).catch(function () {
        panel.textContent = "The preview is not available right now; your text is safe.";
      });
    }

    writeTab.addEventListener("click", function () { select(false); });
    previewTab.addEventListener("click", function () { select(true); });
    tablist.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" || event.key === "End") {
        event.preventDefault();
        var toPreview = event.key === "End" || ((event.key === "ArrowRight" || event.key === "ArrowLeft")
          && writeTab.getAttribute("aria-selected") === "true");
        if (event.key === "Home") { toPreview = false; }
        select(toPreview);
        (toPreview ? previewTab : writeTab).focus();
      }
    });
    // Anything that rewrites the text (a quote, a restored draft) returns to the Write tab.
    textarea.addEventListener("cop:replaced", function () { select(false); });
  }

  function makeTab(text, id, controls, selected) {
    var tab = document.createElement("button");
    tab.type = "button";
    tab.id = id;
    tab.className = "md-tab";
    tab.textContent = text;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", controls);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    return tab;
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".md-editor"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
