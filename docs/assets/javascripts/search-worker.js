/* The casebook's search worker: answers Material's search box from an index built at build time.
 *
 * Material's own worker builds a lunr index from every page on every page load, which takes
 * seconds once a library has thousands of cases. This one is handed the index that
 * scripts/casebook/site/search.py prebuilt (Material's page fetches search/search_index.json, or
 * under file:// loads search/search_index.js, and sends it in the setup message) and only looks
 * words up in it. It speaks Material's worker messages — setup 0, ready 1, query 2, result 3 —
 * so Material's search box, keyboard shortcuts, result list, teasers, highlighting and result
 * count stay as they are. Under file:// the iframe-worker shim runs this file in a hidden
 * iframe that provides the same `postMessage` and message events.
 *
 * A query is split into words at spaces and punctuation, each word into runs of Han and of
 * other characters. A page matches a run when one of its index words contains the run (特派员
 * finds 党建特派员, 车 finds 车队), or, for a Han run typed without spaces, when it holds every
 * part of the run cut into index words, longest first (阳光车队 → 阳光 + 车队: Chinese is
 * segmented the same way as at build time, by the index's own words). A page must
 * match every run. Score: for each run, the best field it occurs in (title 150, tags 100, summary
 * or metadata 10, body 1); ties keep the index's page order.
 *
 * Titles, teasers and tags come from the index as plain text and are escaped here: the only
 * markup in a result is <mark> around matches and <p> around the teaser.
 */
"use strict";

var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;
var WEIGHT = [0, 1, 10, 100, 150];  // by field: -, body, summary/metadata, tags, title
var HAN = /\p{sc=Han}/u;
var RUNS = /\p{sc=Han}+|[^\p{sc=Han}]+/gu;
var NOT_WORD = /[^\p{L}\p{N}_]+/u;  // the index's words are Python's \w+ runs

// Posting lists (see search.py): base-32 digits, CONTINUE for leading digits, LAST for the last.
var DIGIT = new Int8Array(128).fill(-1);
"ghijklmnopqrstuvwxyz0123456789+/".split("").forEach(function (c, i) { DIGIT[c.charCodeAt(0)] = i; });
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef".split("").forEach(function (c, i) { DIGIT[c.charCodeAt(0)] = 32 + i; });

var docs = [];       // {location, title, text, tags} per page, plain text
var words = "";      // every index word, sorted, joined by "\n"
var starts = null;   // where each word starts in `words` (one more entry: the end)
var postings = [];   // per word: its encoded posting list
var vocabulary = new Set();
var longest = 1;     // characters in the longest word

function setup(data) {
  var index = data.config.casebook;
  docs = data.docs;
  words = index.words;
  postings = index.postings.split(",");
  var list = words.split("\n");
  starts = new Int32Array(list.length + 1);
  var at = 0;
  for (var i = 0; i < list.length; i++) {
    starts[i] = at;
    at += list[i].length + 1;
    vocabulary.add(list[i]);
    if (list[i].length > longest) longest = list[i].length;
  }
  starts[list.length] = at;
}

// The number of the word that covers position `at` of `words`.
function wordAt(at) {
  var lo = 0, hi = starts.length - 2;
  while (lo < hi) {
    var mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= at) lo = mid; else hi = mid - 1;
  }
  return lo;
}

// Numbers of the index words that contain `run`, each once.
function containing(run) {
  var found = [];
  for (var at = words.indexOf(run); at !== -1;) {
    var id = wordAt(at);
    found.push(id);
    at = words.indexOf(run, starts[id + 1]);
  }
  return found;
}

// Per page, the best field in which any of these words occurs (0: none).
function fieldsOf(ids) {
  var best = new Uint8Array(docs.length);
  for (var k = 0; k < ids.length; k++) {
    var code = postings[ids[k]], page = -1, value = 0;
    for (var i = 0; i < code.length; i++) {
      var digit = DIGIT[code.charCodeAt(i)];
      if (digit < 32) {
        value = value * 32 + digit;
      } else {
        value = value * 32 + digit - 32;
        page += value >> 3;
        if (best[page] < (value & 7)) best[page] = value & 7;
        value = 0;
      }
    }
  }
  return best;
}

// A run of Han characters cut into index words of at most `most` characters, longest first.
function cut(run, most) {
  var chars = Array.from(run), parts = [];
  for (var i = 0; i < chars.length;) {
    var n = Math.min(most, chars.length - i);
    while (n > 1 && !vocabulary.has(chars.slice(i, i + n).join(""))) n--;
    parts.push(chars.slice(i, i + n).join(""));
    i += n;
  }
  return parts;
}

// The fewest index words of two or more characters, each shorter than the run, that make up
// the run; null if there are none.
function words2(run) {
  var chars = Array.from(run), n = chars.length;
  var from = [0];  // from[i]: where the last word of the best reading of chars[0..i) starts
  var count = [0];
  for (var i = 2; i <= n; i++) {
    for (var j = Math.max(0, i - Math.min(longest, n - 1)); j <= i - 2; j++) {
      if (count[j] !== undefined && (count[i] === undefined || count[j] + 1 < count[i]) &&
          vocabulary.has(chars.slice(j, i).join(""))) {
        count[i] = count[j] + 1;
        from[i] = j;
      }
    }
  }
  if (count[n] === undefined) return null;
  var parts = [];
  for (var k = n; k > 0; k = from[k]) parts.unshift(chars.slice(from[k], k).join(""));
  return parts;
}

// The index words a run is read as when no single word contains it. A run that is itself an
// index word (党务工作者, a tag) may also be written as shorter words (党务 + 工作者) elsewhere.
function partsOf(run) {
  if (!HAN.test(run)) return [run];
  var parts = cut(run, longest);
  if (parts.length === 1 && Array.from(run).length > 2) return words2(run) || parts;
  return parts;
}

// {best: field per page, parts: the run's index words if it was cut}
function match(run) {
  var best = fieldsOf(containing(run));
  var parts = partsOf(run);
  if (parts.length > 1) {
    var all = fieldsOf(containing(parts[0]));
    for (var p = 1; p < parts.length; p++) {
      var next = fieldsOf(containing(parts[p]));
      for (var i = 0; i < all.length; i++) if (next[i] < all[i]) all[i] = next[i];
    }
    for (var j = 0; j < all.length; j++) if (all[j] > best[j]) best[j] = all[j];
  }
  return { best: best, parts: parts };
}

function runsOf(query) {
  var runs = [];
  query.toLowerCase().split(NOT_WORD).forEach(function (word) {
    (word.match(RUNS) || []).forEach(function (run) {
      if (runs.indexOf(run) < 0) runs.push(run);
    });
  });
  return runs;
}

var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escape(text) {
  return text.replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
}

// A function: text -> the text escaped, with <mark> around every occurrence of a needle
// (longest needles first; ignoring case; touching marks merged).
function highlighter(needles) {
  var pattern = needles.slice().sort(function (a, b) { return b.length - a.length; })
    .map(function (needle) { return needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }).join("|");
  var matches = new RegExp("(" + pattern + ")", "giu");
  return function (text) {
    var parts = text.split(matches), out = "";  // odd parts are the matches
    for (var i = 0; i < parts.length; i++) out += i % 2 ? "<mark>" + escape(parts[i]) + "</mark>" : escape(parts[i]);
    return out.replace(/<\/mark><mark>/g, "");
  };
}

function search(query) {
  var runs = runsOf(query);
  if (!runs.length) return { items: [] };
  var score = new Int32Array(docs.length);  // -1: a run is missing
  var needles = [], terms = {};
  runs.forEach(function (run) {
    var found = match(run);
    for (var i = 0; i < score.length; i++) {
      if (!found.best[i]) score[i] = -1;
      else if (score[i] >= 0) score[i] += WEIGHT[found.best[i]];
    }
    // Material links a result with ?h=<terms> and highlights them on the page it opens.
    terms[run] = true;
    needles.push(run);
    if (found.parts.length > 1) {
      found.parts.forEach(function (part) {
        if (part.length > 1) { terms[part] = true; needles.push(part); }
      });
    }
  });
  var hits = [];
  for (var i = 0; i < score.length; i++) if (score[i] > 0) hits.push(i);
  hits.sort(function (a, b) { return score[b] - score[a] || a - b; });
  var highlight = highlighter(needles);
  return {
    items: hits.map(function (i) {
      var doc = docs[i];
      var item = {
        location: doc.location,
        title: highlight(doc.title),
        text: doc.text ? "<p>" + highlight(doc.text) + "</p>" : "",
        score: score[i],
        terms: terms
      };
      if (doc.tags) item.tags = doc.tags.map(highlight);
      return [item];  // Material groups a page's sections; ours has one entry per page
    })
  };
}

addEventListener("message", function (event) {
  var message = event.data;
  if (message.type === SETUP) {
    setup(message.data);
    postMessage({ type: READY });
  } else if (message.type === QUERY) {
    postMessage({ type: RESULT, data: search(message.data) });
  }
});
