/* Web Workers for pages opened from file:// (the offline copy), without inline script.
 *
 * Chromium refuses `new Worker(url)` on a file:// page, so Material runs its search worker in a
 * hidden same-origin iframe instead when a "polyfill" whose URL contains `iframe-worker` defines
 * one (otherwise its offline plugin loads the npm package iframe-worker's shim from unpkg). That
 * shim writes an inline <script> into the iframe, which the pages' Content Security Policy blocks
 * (scripts only from the site and by hash; see scripts/casebook/site/csp.py): search would vanish.
 *
 * This file does the same job with DOM calls only. The iframe's window gets `postMessage` and
 * `importScripts` (as a worker's global scope has), the worker script is added as an external
 * <script> element (allowed by 'self'), and messages travel both ways as asynchronous events
 * carrying structured clones, as with a real worker. Over http(s) nothing changes: the real
 * Worker stays.
 */
(function () {
  "use strict";

  function later(task) { setTimeout(task, 0); }

  class FrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.url = String(url);
      this.onmessage = null;
      this.onerror = null;
      var frame = document.createElement("iframe");
      frame.hidden = true;
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      document.body.appendChild(frame);
      this.frame = frame;
      var scope = frame.contentWindow;
      var self = this;
      // The worker's side: postMessage(data) reaches the page as a "message" event.
      scope.postMessage = function (data) {
        var copy = structuredClone(data);
        later(function () { self.emit(new MessageEvent("message", { data: copy })); });
      };
      // importScripts(url, ...) loads the scripts one after another; resolves when all ran.
      scope.importScripts = function () {
        var urls = Array.prototype.slice.call(arguments);
        return urls.reduce(function (done, src) {
          return done.then(function () { return load(scope.document, src); });
        }, Promise.resolve());
      };
      scope.addEventListener("error", function (event) {
        self.emit(new ErrorEvent("error", {
          message: event.message, filename: event.filename, lineno: event.lineno, colno: event.colno, error: event.error
        }));
      });
      this.ready = load(scope.document, this.url);
      this.ready.catch(function () {
        self.emit(new ErrorEvent("error", { message: "无法加载 " + self.url, filename: self.url }));
      });
    }

    // The page's side: worker.postMessage(data) reaches the worker script as a "message" event.
    postMessage(data) {
      var scope = this.frame.contentWindow;
      var copy = structuredClone(data);
      this.ready.then(function () {
        if (scope) scope.dispatchEvent(new MessageEvent("message", { data: copy }));
      }, function () {});
    }

    terminate() {
      this.frame.remove();
    }

    emit(event) {
      if (!this.frame.isConnected) return;  // terminated: a real worker would be silent too
      this.dispatchEvent(event);
      var handler = event.type === "message" ? this.onmessage : this.onerror;
      if (typeof handler === "function") handler.call(this, event);
    }
  }

  // An external script in the iframe's document (a non-inline script: 'self' in the CSP allows it).
  function load(doc, src) {
    return new Promise(function (resolve, reject) {
      var script = doc.createElement("script");
      script.src = src;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error(src)); };
      doc.body.appendChild(script);
    });
  }

  if (location.protocol === "file:") window.Worker = FrameWorker;
})();
