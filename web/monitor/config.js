// Monitor settings.  Behind the proxy the page is /mon/ and the safe API
// /safe-api/ on the same origin, so the default needs no change.  For direct
// use, edit apiBase here or open the page with ?api=http://host:8006/
window.MUPIF_MONITOR_CONFIG = {
  apiBase: "../safe-api/",
  // Polling intervals in milliseconds (the original monitor's values).
  poll: { status: 10000, scheduler: 10000, jobmans: 3000, ns: 10000, vpn: 3000 }
};
