/* Autosave of drafts: forms marked data-draft-place="<place>" data-draft-url="<writing.save_draft>".
   Every few seconds, if something changed, the form's fields go to the server as the signed-in
   person's draft for that place (POST with the form's CSRF token); once more when the page is left.
   The server restores the draft when the form is opened again, on any device. Submitting the form
   stops autosaving (posting deletes the draft on the server). Without JavaScript: "Save draft". */
(function () {
  "use strict";

  var INTERVAL_MS = 3000;

  function attach(form) {
    var url = form.getAttribute("data-draft-url");
    if (!url || !window.fetch || !window.FormData) { return; }
    var status = form.querySelector("[data-draft-status]");
    var discard = document.querySelector("[data-draft-discard]");
    var dirty = false;
    var saving = false;
    var stopped = false;

    function payload() {
      var data = new FormData(form);
      data.set("place", form.getAttribute("data-draft-place"));
      return data;
    }

    function say(text) { if (status) { status.textContent = text; } }

    var inflight = null;

    function save() {
      if (!dirty || saving || stopped) { return; }
      dirty = false;
      saving = true;
      inflight = fetch(url, { method: "POST", body: payload(), credentials: "same-origin",
                   headers: { "Accept": "application/json" } })
        .then(function (response) {
          return response.json().then(function (result) { return { ok: response.ok, result: result }; });
        })
        .then(function (answer) {
          if (!answer.ok) {
            say("Draft not saved: " + (answer.result.error || "try again."));
          } else if (answer.result.saved) {
            var now = new Date();
            say("Draft saved at " + String(now.getHours()).padStart(2, "0") + ":" +
                String(now.getMinutes()).padStart(2, "0") + ".");
            if (discard) { discard.hidden = false; }
          } else {
            say("");
          }
        })
        .catch(function () { dirty = true; say("Draft not saved yet (offline?); will retry."); })
        .then(function () { saving = false; inflight = null; });
    }

    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("cop:changed", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      stopped = true;
      // An autosave still on its way could land after the post and bring the draft back: wait for it.
      if (inflight && !event.defaultPrevented) {
        event.preventDefault();
        var submitter = event.submitter;
        inflight.then(function () {
          inflight = null;
          if (submitter && submitter.form === form) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
        });
      }
    });
    window.setInterval(save, INTERVAL_MS);
    // Leaving the page: one last save the browser finishes on its own.
    window.addEventListener("pagehide", function () {
      if (dirty && !stopped && navigator.sendBeacon) {
        navigator.sendBeacon(url, payload());
        dirty = false;
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-place]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
