/* First visit: offer the browser's time zone to cop for someone who has not chosen one (the page carries
   <meta name="cop-time-zone-unset" content="<URL>"> only then). The server keeps a zone already chosen;
   the profile page changes it. Without JavaScript times stay in UTC, with the zone named. */
(function () {
  "use strict";
  var target = document.querySelector('meta[name="cop-time-zone-unset"]');
  var token = document.querySelector('meta[name="csrf-token"]');
  if (!target || !token || !window.fetch || !window.Intl) { return; }
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) { return; }
  var data = new FormData();
  data.append("csrf_token", token.getAttribute("content"));
  data.append("time_zone", zone);
  fetch(target.getAttribute("content"), { method: "POST", body: data, credentials: "same-origin" });
}());
