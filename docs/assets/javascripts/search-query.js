/* Chinese search queries: make Material find the last word of a query.
 *
 * Material splits a run of Chinese characters in the query into words it finds in the index,
 * but its loop never tries a word that ends at the run's last character (Material 9.8.2,
 * search/query/segment): `阳光车队` is searched as `阳光*` and `车队` is lost. We rewrite the query
 * on its way to the search worker: the run itself (Material's reading), the run with one
 * character appended that is never indexed (so the last word now ends before the end), and the
 * run's own words from the browser's segmenter, each with a backslash after its first character
 * so that Material keeps the word whole. Extra words only add "should" clauses, never filter.
 *
 * Depends on Material's worker message format (type 2 = query); the browser tests fail if an
 * upgrade changes it. Works with the iframe-worker shim used by the offline copy, which also
 * replaces window.Worker.
 */
(function () {
  "use strict";
  var Worker = window.Worker;
  if (!Worker || !Worker.prototype || !Worker.prototype.postMessage) return;
  var QUERY = 2;
  var NEVER_INDEXED = "\u3007";  // 〇
  var words = typeof Intl !== "undefined" && Intl.Segmenter
    ? new Intl.Segmenter("zh", { granularity: "word" }) : null;

  function expand(run) {
    var out = [run, run + NEVER_INDEXED];
    if (words) {
      for (var part of words.segment(run)) {
        if (part.isWordLike && part.segment.length > 1)
          out.push(part.segment[0] + "\\" + part.segment.slice(1));
      }
    }
    return out.join(" ");
  }

  var post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message) {
    if (message && message.type === QUERY && typeof message.data === "string") {
      arguments[0] = { type: QUERY, data: message.data.replace(/\p{sc=Han}+/gu, expand) };
    }
    return post.apply(this, arguments);
  };
})();
