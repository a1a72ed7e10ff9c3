/* Tag autocomplete: progressive enhancement for inputs marked data-tag-input="<suggest URL>".
   As the user types the last comma-separated term, a <datalist> is filled with matching tag
   names (each option holds the whole field value, so picking one keeps the earlier tags).
   Without JavaScript the field is an ordinary comma-separated text input. */
(function () {
  "use strict";

  var counter = 0;

  function split(value) {
    var parts = value.split(",");
    var last = parts.pop().trim();
    var head = parts.map(function (p) { return p.trim(); }).filter(Boolean);
    return { head: head, last: last };
  }

  function attach(input) {
    var url = input.getAttribute("data-tag-input");
    if (!url || !window.fetch) { return; }
    var list = document.createElement("datalist");
    counter += 1;
    list.id = (input.id || "tag-input") + "-suggestions-" + counter;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");

    var timer = null;
    var asked = null;

    function fill(names, head) {
      var prefix = head.length ? head.join(", ") + ", " : "";
      while (list.firstChild) { list.removeChild(list.firstChild); }
      names.forEach(function (name) {
        if (head.indexOf(name) !== -1) { return; }
        var option = document.createElement("option");
        option.value = prefix + name;
        option.label = name;
        list.appendChild(option);
      });
    }

    function ask() {
      var parts = split(input.value);
      if (!parts.last || parts.last === asked) { return; }
      asked = parts.last;
      var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(parts.last);
      fetch(address, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { tags: [] }; })
        .then(function (data) {
          // Only if the field still ends with what was asked about.
          if (split(input.value).last === parts.last) { fill(data.tags || [], parts.head); }
        })
        .catch(function () { /* suggestions are optional */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-tag-input]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
