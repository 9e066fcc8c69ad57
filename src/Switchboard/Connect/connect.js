/*! Switchboard Connect: opens a connect session in a popup and resolves with its result. No dependencies. */
(function (global) {
  "use strict";
  var current = document.currentScript;
  var scriptOrigin = current && current.src ? new URL(current.src).origin : global.location.origin;

  /**
   * SwitchboardConnect.open(tokenOrConnectUrl, options?) -> Promise<{type, status, integration, end_user_id, error?}>
   * Call it from a click handler (browsers block popups opened otherwise). status is "success" or "error";
   * error "popup_blocked" or "popup_closed" when the window could not open or was closed before the end.
   */
  function open(tokenOrUrl, options) {
    options = options || {};
    var url = /^https?:\/\//.test(tokenOrUrl)
      ? tokenOrUrl
      : (options.baseUrl ? new URL(options.baseUrl).origin : scriptOrigin) + "/connect/s/" + encodeURIComponent(tokenOrUrl);
    var origin = new URL(url).origin;
    var width = options.width || 520, height = options.height || 720;
    var left = Math.max(0, (global.screenX || 0) + ((global.outerWidth || width) - width) / 2);
    var top = Math.max(0, (global.screenY || 0) + ((global.outerHeight || height) - height) / 2);
    return new Promise(function (resolve) {
      var popup = global.open(url, "switchboard-connect",
        "popup=yes,width=" + width + ",height=" + height + ",left=" + Math.round(left) + ",top=" + Math.round(top));
      if (!popup) { resolve({ type: "switchboard.connect", status: "error", error: "popup_blocked" }); return; }
      var settled = false, timer = null;
      function finish(result) {
        if (settled) return;
        settled = true;
        global.removeEventListener("message", onMessage);
        if (timer) global.clearInterval(timer);
        resolve(result);
      }
      function onMessage(event) {
        if (event.origin !== origin || event.source !== popup) return;
        var data = event.data;
        if (data && data.type === "switchboard.connect") finish(data);
      }
      global.addEventListener("message", onMessage);
      timer = global.setInterval(function () {
        // A message posted just before the window closed is delivered first; give it a moment.
        if (popup.closed) global.setTimeout(function () { finish({ type: "switchboard.connect", status: "error", error: "popup_closed" }); }, 300);
      }, 400);
    });
  }

  global.SwitchboardConnect = { open: open };
})(window);
