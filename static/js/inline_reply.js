/* Inline Reply and Quote on a thread page: the page's reply form (#reply-form) moves under the post
   whose Reply or Quote link was used, answering that post; Cancel puts it back. Quote inserts the
   selected text if the selection lies in that post, else the whole post (from writing.quote, the same
   Markdown the separate reply page starts with). Without JavaScript the links open the reply page. */
(function () {
  "use strict";

  function start() {
    var section = document.getElementById("reply-section");
    var form = document.getElementById("reply-form");
    if (!section || !form || !window.fetch) { return; }
    var textarea = form.querySelector("textarea[name=body]");
    var parentField = form.querySelector("input[name=parent_id]");
    var note = form.querySelector("[data-replying-to]");
    var home = form.parentNode;
    var homeNext = form.nextSibling;
    var openingId = section.getAttribute("data-opening-post");
    var quoteUrl = section.getAttribute("data-quote-url");

    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button-text";
    cancel.textContent = "Cancel inline reply";
    cancel.addEventListener("click", function () { putBack(); });

    function authorOf(post) {
      var author = post.querySelector(".post-author");
      return author ? author.textContent.trim() : "someone";
    }

    function moveUnder(post, postId) {
      var holder = document.createElement("div");
      holder.className = "inline-reply card";
      post.insertAdjacentElement("afterend", holder);
      holder.appendChild(form);
      Array.prototype.forEach.call(document.querySelectorAll(".inline-reply"), function (box) {
        if (box !== holder) { box.remove(); }
      });
      parentField.value = postId;
      note.textContent = "Replying to " + authorOf(post) + ". ";
      note.appendChild(cancel);
      note.hidden = false;
      form.dispatchEvent(new Event("cop:changed"));
    }

    function putBack() {
      home.insertBefore(form, homeNext);
      Array.prototype.forEach.call(document.querySelectorAll(".inline-reply"), function (box) { box.remove(); });
      parentField.value = openingId;
      note.hidden = true;
      form.dispatchEvent(new Event("cop:changed"));
      textarea.focus();
    }

    function append(text) {
      var value = textarea.value.replace(/\s+$/, "");
      textarea.value = (value ? value + "\n\n" : "") + text;
      textarea.dispatchEvent(new Event("cop:replaced"));
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function selectionIn(post) {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) { return ""; }
      var body = post.querySelector(".post-body");
      var range = selection.getRangeAt(0);
      if (!body || !body.contains(range.commonAncestorContainer)) { return ""; }
      return selection.toString().trim();
    }

    function quoteOf(name, text) {
      var lines = text.split(/\r?\n/).slice(0, 40).map(function (line) { return "> " + line; });
      return "> **" + name.replace(/[*_`\[\]]/g, "") + "** wrote:\n>\n" + lines.join("\n") + "\n\n";
    }

    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".post-actions a[href]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
      var address = new URL(link.href, window.location.href);
      if (!/\/t\/\d+\/reply$/.test(address.pathname) || !address.searchParams.get("to")) { return; }
      var post = link.closest(".post");
      if (!post) { return; }
      event.preventDefault();
      var postId = address.searchParams.get("to");
      var quoting = address.searchParams.get("quote") === "1";
      var selected = quoting ? selectionIn(post) : "";
      moveUnder(post, postId);
      if (quoting && selected) {
        append(quoteOf(authorOf(post), selected));
      } else if (quoting) {
        fetch(quoteUrl.replace(/0$/, postId), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { text: "" }; })
          .then(function (result) { if (result.text) { append(result.text); } textarea.focus(); })
          .catch(function () { textarea.focus(); });
      }
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
