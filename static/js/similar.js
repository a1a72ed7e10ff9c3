/* Similar threads as you type a new thread's title (input[data-similar-url]): the title alone is
   POSTed (never the text, never in a URL) and the answer fills #similar-threads. Enter in the title
   moves on to the next field instead of submitting the form. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function attach(input) {
    var url = input.getAttribute("data-similar-url");
    var box = document.getElementById(input.getAttribute("aria-controls"));
    if (!url || !box || !window.fetch) { return; }
    var noJs = document.querySelector(".similar-nojs");
    if (noJs) { noJs.hidden = true; }
    var timer = null;
    var asked = null;

    function show(threads) {
      box.innerHTML = "";
      if (!threads.length) { return; }
      var section = document.createElement("section");
      section.className = "similar-threads";
      var heading = document.createElement("h2");
      heading.className = "h-small";
      heading.id = "similar-h";
      section.setAttribute("aria-labelledby", "similar-h");
      heading.textContent = "Similar threads already exist";
      var list = document.createElement("ul");
      list.className = "plain-list";
      threads.forEach(function (t) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = t.url;
        link.textContent = t.title;
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = " · " + t.community + " · " + t.status;
        item.appendChild(link);
        item.appendChild(meta);
        list.appendChild(item);
      });
      section.appendChild(heading);
      section.appendChild(list);
      box.appendChild(section);
    }

    function ask() {
      var title = input.value.trim();
      if (title === asked) { return; }
      asked = title;
      if (title.length < 3) { show([]); return; }
      var data = new FormData();
      data.append("title", title);
      data.append("csrf_token", csrfToken());
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { threads: [] }; })
        .then(function (result) { if (input.value.trim() === title) { show(result.threads || []); } })
        .catch(function () { /* suggestions are optional */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 300);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        ask();
        var fields = Array.prototype.filter.call(input.form.elements, function (el) {
          return !el.hidden && !el.disabled && el.type !== "hidden" && el.tabIndex >= 0 && el.offsetParent !== null;
        });
        var next = fields[fields.indexOf(input) + 1];
        if (next) { next.focus(); }
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-similar-url]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
