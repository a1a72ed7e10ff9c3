/* @mention autocomplete for Markdown fields (textarea[data-mentions="<writing.people URL>"]).
   Typing "@" and letters asks the server for people (name and handle; members of the community first;
   only people the viewer may see) and shows them in a listbox under the field, following the ARIA
   combobox pattern: the field keeps focus and points at the active option with
   aria-activedescendant; Down/Up move, Enter or Tab picks, Escape closes. */
(function () {
  "use strict";

  var TOKEN = /(^|[^\w@\/.])@([A-Za-z0-9_]{1,40})$/;
  var counter = 0;

  function attach(textarea) {
    var url = textarea.getAttribute("data-mentions");
    if (!url || !window.fetch) { return; }
    counter += 1;
    var listId = "mention-list-" + counter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", live);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);

    var people = [];
    var active = -1;
    var token = null;  // {start, end, query}
    var timer = null;

    function close() {
      list.hidden = true;
      people = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", String(i === index));
      });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", listId + "-" + index);
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      people = found;
      list.innerHTML = "";
      if (!found.length) { close(); live.textContent = "No people found."; return; }
      found.forEach(function (person, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "mention-name";
        name.textContent = person.name;
        var handle = document.createElement("span");
        handle.className = "mention-handle";
        handle.textContent = " @" + person.handle;
        li.appendChild(name);
        li.appendChild(handle);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      highlight(0);
      live.textContent = found.length + (found.length === 1 ? " person" : " people") +
        " found; use the up and down arrows, Enter to choose.";
    }

    function pick(index) {
      var person = people[index];
      if (!person || !token) { return; }
      var value = textarea.value;
      var insert = "@" + person.handle + " ";
      textarea.value = value.slice(0, token.start) + insert + value.slice(token.end);
      var caret = token.start + insert.length;
      textarea.setSelectionRange(caret, caret);
      close();
      live.textContent = person.name + " mentioned.";
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function current() {
      var caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) { return null; }
      var match = TOKEN.exec(textarea.value.slice(Math.max(0, caret - 42), caret));
      if (!match) { return null; }
      return { start: caret - match[2].length - 1, end: caret, query: match[2] };
    }

    function ask() {
      token = current();
      if (!token) { close(); return; }
      var query = token.query;
      var address = url + (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query);
      fetch(address, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { people: [] }; })
        .then(function (result) {
          var now = current();
          if (now && now.query === query) { token = now; show(result.people || []); }
        })
        .catch(function () { close(); });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 150);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % people.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + people.length) % people.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    textarea.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-mentions]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
