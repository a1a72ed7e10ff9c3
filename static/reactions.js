/* Reactions without a page reload: a click on a reaction button (data-reaction) posts the page's
   action form (its CSRF token) with the button's kind to the button's formaction, and swaps in the
   post's updated reaction bar returned by the server. Without JavaScript the button submits the form
   and the server redirects back to the post. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-reaction]") : null;
    if (!button || !window.fetch || !window.FormData) { return; }
    var form = document.getElementById(button.getAttribute("form"));
    var bar = button.closest(".reactions");
    if (!form || !bar) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.append("kind", button.value);
    button.disabled = true;
    fetch(button.getAttribute("formaction"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var fresh = holder.querySelector(".reactions");
      if (fresh) {
        bar.replaceWith(fresh);
        var again = fresh.querySelector('button[value="' + button.value + '"]');
        if (again) { again.focus(); }
      }
    }).catch(function () {
      button.disabled = false;
      form.action = button.getAttribute("formaction");
      var kind = document.createElement("input");
      kind.type = "hidden"; kind.name = "kind"; kind.value = button.value;
      form.appendChild(kind);
      form.submit();  // the no-JavaScript path shows the error
    });
  });
}());
