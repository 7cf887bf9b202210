/* The page's half of the casebook search (the worker is search-worker.js).
 *
 * Material renders every result from the one message the worker sends, the first 10 at once and
 * 4 more each time the reader scrolls to the end. A library of thousands of cases cannot send
 * every result's title and teaser with it without downloading them all, so the worker sends the
 * first 10 complete and the rest as one shared placeholder (<span class="cb-pending">), with the
 * ranked pages in the message's `casebook.pages`. This script, loaded
 * before Material's bundle (mkdocs.yml: extra.polyfills), keeps a handle on the search worker
 * when Material creates it, and:
 *
 * - when placeholders appear in the result list, finds their pages by their rank (their place in
 *   the list: Material appends results in order), asks the worker for their previews (message 4)
 *   and fills them in (link, title, teaser, tags: the worker's escaped text with <mark>s);
 * - when the worker says no page contains the query as typed and these are the pages that
 *   contain all its words, shows that line above the results; when the query was several terms
 *   (it had spaces), a line that says the terms need not stand side by side.
 *
 * It also makes text that arrives without a key (pasted from the context menu, dictated, picked
 * from an input method's list on a phone) search at once: Material searches on `keyup` only, so
 * each `input` outside an input method's composition is passed on as a `keyup`. Typed keys then
 * ask twice with the same text, which Material drops (it searches only a changed query).
 */
(function () {
  "use strict";
  var RESULT = 3, PREVIEWS = 4;
  var NOTE = "没有完全一致的结果，以下案例包含全部词语";
  // A query with spaces is its pieces, each found as typed but not necessarily side by side
  // (Ctrl+F would look for the spaces too): the results say so.
  var SPLIT_NOTE = "按空格分开查找：以下案例包含全部这些词，不一定连在一起";

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (event.isComposing || !box.matches || !box.matches("[data-md-component=search-query]")) return;
    box.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
  }, true);

  var Native = window.Worker;
  if (typeof Native !== "function") return;

  var worker = null;
  var latest = null;  // the casebook part of the latest result message

  function Worker(url, options) {
    var made = arguments.length > 1 ? new Native(url, options) : new Native(url);
    if (/search-worker\.js(\?|#|$)/.test(String(url))) attach(made);
    return made;
  }
  Worker.prototype = Native.prototype;
  window.Worker = Worker;

  function attach(made) {
    worker = made;
    // Registered before Material's listener: `latest` is current when Material re-renders.
    made.addEventListener("message", function (event) {
      var message = event.data || {};
      if (message.type === RESULT) latest = message.data.casebook || null;
      else if (message.type === PREVIEWS) fill(message.data);
    });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
    else watch();
  }

  function watch() {
    var result = document.querySelector(".md-search-result");
    if (!result) return;
    new MutationObserver(function () { update(result); }).observe(result, { childList: true, subtree: true, characterData: true });
  }

  function update(result) {
    var meta = result.querySelector(".md-search-result__meta");
    var note = result.querySelector(".cb-search-note");
    var any = latest && result.querySelector(".md-search-result__item");
    var said = !any ? "" : latest.fallback ? NOTE : latest.split ? SPLIT_NOTE : "";
    if (said && !note && meta) {
      note = document.createElement("div");
      note.className = "md-search-result__meta cb-search-note";
      meta.parentNode.insertBefore(note, meta.nextSibling);
    }
    if (said && note && note.textContent !== said) {
      note.textContent = said;
    } else if (!said && note) {
      note.parentNode.removeChild(note);
    }
    var pending = result.querySelectorAll(".cb-pending:not([data-asked])");
    if (!pending.length || !worker || !latest || !latest.pages) return;
    var pages = [];
    pending.forEach(function (el) {
      var item = el.closest("li"), rank = item ? Array.prototype.indexOf.call(item.parentNode.children, item) : -1;
      if (+el.getAttribute("data-q") !== latest.q || rank < 0 || rank >= latest.pages.length) return;
      el.setAttribute("data-asked", "");
      el.setAttribute("data-page", latest.pages[rank]);
      pages.push(latest.pages[rank]);
    });
    if (pages.length) worker.postMessage({ type: PREVIEWS, data: { q: latest.q, pages: pages } });
  }

  function base() {
    var config = JSON.parse(document.getElementById("__config").textContent);
    return { url: new URL(config.base, location.href), highlight: (config.features || []).indexOf("search.highlight") >= 0 };
  }

  // The worker's answer: {q, h: highlight terms, items: {page: {location, title, text, tags}}}.
  function fill(data) {
    var site = base();
    document.querySelectorAll('.cb-pending[data-q="' + data.q + '"]').forEach(function (el) {
      var item = data.items[el.getAttribute("data-page")];
      var link = el.closest("a"), article = el.closest("article"), heading = el.parentNode;
      if (!item || !link || !article) return;
      var url = new URL(item.location, site.url);
      if (site.highlight) url.searchParams.set("h", data.h);
      link.href = url.href;
      heading.innerHTML = item.title;
      if (item.text) heading.insertAdjacentHTML("afterend", item.text);
      if (item.tags) {
        var nav = document.createElement("nav");
        nav.className = "md-tags";
        item.tags.forEach(function (tag) {
          var span = document.createElement("span");
          span.className = "md-tag";
          span.innerHTML = tag;
          nav.appendChild(span);
        });
        article.appendChild(nav);
      }
    });
  }
})();
