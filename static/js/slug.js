/* A community's address (slug) suggested from its name as it is typed: input[data-slug-source="<slug
   field id>"] fills that field until someone edits the address by hand. The server suggests the same
   (cop.communities.services.suggest_slug) when the address is left empty. */
(function () {
  "use strict";

  function slugify(name) {
    return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 55).replace(/-+$/, "");
  }

  function attach(source) {
    var target = document.getElementById(source.getAttribute("data-slug-source"));
    if (!target) { return; }
    var suggested = target.value === "" ? "" : null;  // a slug already there (an error) is left alone
    source.addEventListener("input", function () {
      if (suggested === null || target.value !== suggested) { return; }
      suggested = slugify(source.value);
      target.value = suggested;
    });
    target.addEventListener("input", function () { suggested = null; });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-slug-source]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
