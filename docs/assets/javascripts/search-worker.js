/* The casebook's search worker: Material's search box, answered like the browser's Ctrl+F.
 *
 * It speaks Material's worker messages — setup 0, ready 1, query 2, result 3 — so Material's
 * search box, shortcuts, result list, highlighting and count stay as they are. The setup message
 * brings only the small manifest (search/search_index.json, written by
 * scripts/casebook/site/search.py, which documents the files and their format); everything else
 * is loaded when a query needs it and kept for later queries:
 *
 * - a query is folded (NFKC, lower case, invisible characters out, curly quotes straight: search.py's
 *   fold) and split at whitespace into terms; a page is a result
 *   when its visible text contains every term, literally;
 * - a term of 1-2 characters: its `k` posting lists the pages that contain it; a longer term:
 *   the positions (`p` postings) of its covering character pairs must line up in a page;
 * - when nothing contains the query as typed and a term holds several words (Intl.Segmenter), the
 *   pages holding all the words are shown instead, flagged `fallback` for the page script; a
 *   query of several terms is flagged `split` (its terms need not stand side by side, as they
 *   would for Ctrl+F), and the page script says so above the results;
 * - score per term: the best occurrence's field (title, tags, summary, body) weight, doubled for a
 *   whole word; summed over terms; ties keep page order;
 * - previews (title, teaser, tags) of the first SHOWN results come with the result; Material
 *   renders the rest only when the reader scrolls to them, so those come as placeholders that
 *   search-results.js (the page side) asks for with message 4 when they appear. The placeholders
 *   are one shared object (a message is cloned object by object: 20,000 distinct placeholders
 *   took 15-25 ms to send); the ranked pages and scores travel as typed arrays in `casebook`.
 *
 * Over http the data files are fetched (only the ones a query needs); under file:// (the offline
 * zip) fetch is blocked, so the iframe-worker shim runs this file in a hidden iframe and the
 * files load as <script> elements, each calling `casebook(name, data)`.
 *
 * Titles, teasers and tags are plain text: they are escaped here, and the only markup in a
 * result is <mark> around matches and <p> around the teaser.
 */
"use strict";

var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3, PREVIEWS = 4;
var SHOWN = 10;  // Material renders the first 10 results at once, then 4 more per scroll
var ASSETS = "search/casebook/";

var IN_PAGE = typeof document !== "undefined";  // the iframe-worker shim (file://)
var here = IN_PAGE && document.currentScript ? document.currentScript.src : self.location.href;
var root = new URL("../../", here);  // this file is assets/javascripts/search-worker.js

var config = null;    // the manifest's config.casebook
var space = null;     // whitespace, as the build split the pages' text
var ignored = null, quoted = null, quotes = null;  // what fold removes and straightens (the manifest's)
var mark = null;      // jieba's word mark in Material's index, which a query never means (the manifest's)
var anyQuote = null;  // those quotes and what fold makes of them
var separator = /\s+/;  // where Material's page highlighter cuts a term (the manifest's config.separator)
var files = new Map();  // file name -> Promise of its data
var latest = 0;       // number of the latest query
var shown = { q: 0, needles: [], h: "" };  // the query whose results are on screen

// -- loading ------------------------------------------------------------------------------------

var waiting = {};
self.casebook = function (name, data) {
  var resolve = waiting[name];
  delete waiting[name];
  if (resolve) resolve(data);
};

function load(name) {
  var promise = files.get(name);
  if (!promise) {
    var url = new URL(ASSETS + name + ".js?v=" + config.version, root).href;
    promise = IN_PAGE ? new Promise(function (resolve, reject) {
      waiting[name] = resolve;
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () { script.remove(); };
      script.onerror = function () { script.remove(); reject(new Error("cannot load " + url)); };
      document.body.appendChild(script);
    }) : fetch(url).then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + url);
      return response.text();
    }).then(function (text) { return JSON.parse(text.split("\n")[1]); });
    promise.catch(function () { files.delete(name); });  // a later query tries again
    files.set(name, promise);
  }
  return promise;
}

// CRC-32 of the key's UTF-8 bytes, modulo the number of shards (search.py: shard_of).
var CRC = new Int32Array(256);
for (var n = 0; n < 256; n++) {
  var c = n;
  for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC[n] = c;
}
var UTF8 = new TextEncoder();
function shardOf(key, count) {
  var bytes = UTF8.encode(key), crc = -1;
  for (var i = 0; i < bytes.length; i++) crc = CRC[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  return ((crc ^ -1) >>> 0) % count;
}

// The numbers of a posting (base64 of unsigned LEB128), or null when the key is not indexed.
function posting(kind, key) {
  return load(kind + shardOf(key, config[kind])).then(function (shard) {
    var code = shard[key];
    if (code === undefined) return null;
    var bytes = atob(code), out = [], value = 0, shift = 0;
    for (var i = 0; i < bytes.length; i++) {
      var b = bytes.charCodeAt(i);
      value += (b & 127) * Math.pow(2, shift);
      if (b < 128) { out.push(value); value = 0; shift = 0; } else shift += 7;
    }
    return out;
  });
}

// -- matching -----------------------------------------------------------------------------------

// search.py's fold: NFKC, lower case, what shows nothing removed, curly quotes straightened (the
// last two tables from the manifest).
function fold(text) {
  return text.normalize("NFKC").toLowerCase().replace(/ς/g, "σ").replace(ignored, "").replace(quoted, function (q) { return quotes[q]; });
}

function termsOf(query) {
  var out = [];
  fold(query).split(mark).join("").split(space).forEach(function (t) {
    if (t && out.indexOf(t) < 0) out.push(t);
  });
  return out;
}

// page -> best code (field * 2 + whole) for the pages containing `term`, as a Map.
function pagesWith(term) {
  var chars = Array.from(term), found = new Map();
  if (chars.length <= 2) {
    return posting("k", term).then(function (values) {
      for (var i = 0, page = -1; values && i < values.length; i++) {
        page += Math.floor(values[i] / 8);
        found.set(page, values[i] % 8);
      }
      return found;
    });
  }
  // The pairs at offsets 0, 2, 4 ... and len - 2 cover every character: where all of them are
  // found at one start, the term is there.
  var cover = [];
  for (var o = 0; o < chars.length - 1; o += 2) cover.push(o);
  if (cover[cover.length - 1] !== chars.length - 2) cover.push(chars.length - 2);
  var starts = null;  // page -> Map(start -> flags): where every pair so far lines up
  function add(o, values) {
    var n = values[0], at = 1 + 2 * n, page = -1, next = new Map();
    for (var j = 0; j < n; j++) {
      page += values[1 + j];
      var count = values[1 + n + j], before = starts && starts.get(page);
      if (!starts || before) {
        var mine = new Map(), previous = 0;
        for (var k = at; k < at + count; k++) {
          var value = previous + values[k], start = Math.floor(value / 16) - o, flags = value % 16;
          previous = value - flags;
          var bits = (o === 0 ? flags & 8 : 0) | (o === chars.length - 2 ? flags & 4 : 0);
          if (!before) mine.set(start, bits | (flags & 3));
          else if (before.has(start)) mine.set(start, before.get(start) | bits);
        }
        if (mine.size) next.set(page, mine);
      }
      at += count;
    }
    starts = next;
  }
  // Four pairs at a time, rarest first within each batch: a long pasted term stops loading
  // shards as soon as no page is left.
  function batch(from) {
    var offsets = cover.slice(from, from + 4);
    return Promise.all(offsets.map(function (o) { return posting("p", chars[o] + chars[o + 1]); })).then(function (lists) {
      if (lists.some(function (list) { return list === null; })) return found;
      offsets.map(function (o, i) { return [o, lists[i]]; })
        .sort(function (a, b) { return a[1].length - b[1].length; })
        .forEach(function (pair) { add(pair[0], pair[1]); });
      if (starts.size && from + 4 < cover.length) return batch(from + 4);
      starts.forEach(function (at, page) {
        var best = 0;
        at.forEach(function (flags) {
          var code = (flags & 3) * 2 + ((flags >> 3) & (flags >> 2) & 1);
          if (code > best) best = code;
        });
        found.set(page, best);
      });
      return found;
    });
  }
  return batch(0);
}

// [[page, score]] of the pages containing every term, best first, ties by page.
function match(terms) {
  return Promise.all(terms.map(pagesWith)).then(function (each) {
    var score = null;
    each.forEach(function (found) {
      var next = new Map();
      found.forEach(function (code, page) {
        var weight = config.weight[code >> 1] * (1 + (code & 1));
        if (!score) next.set(page, weight);
        else if (score.has(page)) next.set(page, score.get(page) + weight);
      });
      score = next;
    });
    var hits = Array.from(score || []);
    hits.sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
    return hits;
  });
}

// The words of the terms (Chinese cut by the browser's own dictionary), each once.
function wordsOf(terms) {
  var out = [];
  var segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("zh", { granularity: "word" }) : null;
  terms.forEach(function (term) {
    var words = segmenter ? Array.from(segmenter.segment(term)).filter(function (s) { return s.isWordLike; }).map(function (s) { return s.segment; }) : [term];
    words.forEach(function (w) { if (out.indexOf(w) < 0) out.push(w); });
  });
  return out;
}

// -- results ------------------------------------------------------------------------------------

var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
function escape(text) {
  return text.replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
}

// text -> escaped, with <mark> around every stretch whose folded form is a needle.
function highlight(text, needles) {
  var chars = Array.from(text), folded = "", from = [];
  chars.forEach(function (ch, i) {
    var f = fold(ch);
    for (var k = 0; k < f.length; k++) from.push(i);
    folded += f;
  });
  var marked = new Uint8Array(chars.length);
  needles.forEach(function (needle) {
    for (var at = folded.indexOf(needle); needle && at >= 0; at = folded.indexOf(needle, at + 1)) {
      for (var k = at; k < at + needle.length; k++) marked[from[k]] = 1;
    }
  });
  var out = "", open = false;
  chars.forEach(function (ch, i) {
    if (marked[i] !== +open) { out += open ? "</mark>" : "<mark>"; open = !open; }
    out += escape(ch);
  });
  return open ? out + "</mark>" : out;
}

// Previews of pages -> {page: item fields}, highlighted for `needles`.
function previews(pages, needles) {
  var groups = [];
  pages.forEach(function (page) {
    var g = Math.floor(page / config.group);
    if (groups.indexOf(g) < 0) groups.push(g);
  });
  return Promise.all(groups.map(function (g) { return load("r" + g); })).then(function (loaded) {
    var out = {};
    pages.forEach(function (page) {
      var row = loaded[groups.indexOf(Math.floor(page / config.group))][page % config.group];
      var item = { location: row[0], title: highlight(row[1], needles), text: row[2] ? "<p>" + highlight(row[2], needles) + "</p>" : "" };
      if (row[3].length) item.tags = row[3].map(function (tag) { return highlight(tag, needles); });
      out[page] = item;
    });
    return out;
  });
}

function search(query, q) {
  var terms = termsOf(query);
  if (!terms.length) return Promise.resolve({ items: [] });
  return match(terms).then(function (hits) {
    var words = hits.length ? terms : wordsOf(terms);
    if (words.length <= terms.length) return { hits: hits, needles: terms, fallback: false };
    return match(words).then(function (found) { return { hits: found, needles: words, fallback: found.length > 0 }; });
  }).then(function (answer) {
    var hits = answer.hits, needles = answer.needles, terms = {};
    // Material marks the terms on the page it opens (`?h=`) in the page's own text, unfolded, each
    // cut at its separator: the query as typed (the words, when they were looked for instead),
    // without quotes and invisible characters, cut there itself. An empty piece (`与理事会。`)
    // marked every position of the page.
    (answer.fallback ? needles : [query]).forEach(function (text) {
      text.replace(ignored, "").replace(anyQuote, " ").split(separator).forEach(function (word) { if (word) terms[word] = true; });
    });
    var first = hits.slice(0, SHOWN).map(function (hit) { return hit[0]; });
    return previews(first, needles).then(function (shownItems) {
      if (q !== latest) return null;
      shown = { q: q, needles: needles, h: Object.keys(terms).join(" ") };
      var pages = new Int32Array(hits.length), scores = new Float64Array(hits.length);
      hits.forEach(function (hit, i) { pages[i] = hit[0]; scores[i] = hit[1]; });
      // Material groups a page's sections; ours has one entry per page. Rank i's page is pages[i].
      var pending = [{ location: "", title: '<span class="cb-pending" data-q="' + q + '">…</span>', text: "", score: 0, terms: terms }];
      return {
        items: hits.map(function (hit, i) {
          if (i >= SHOWN) return pending;
          var item = shownItems[hit[0]];
          item.score = hit[1];
          item.terms = terms;
          return [item];
        }),
        casebook: { q: q, fallback: answer.fallback, split: needles.length > 1 && !answer.fallback, pages: pages, scores: scores }
      };
    });
  });
}

addEventListener("message", function (event) {
  var message = event.data;
  if (message.type === SETUP) {
    config = message.data.config.casebook;
    if (message.data.config.separator) separator = new RegExp(message.data.config.separator, "u");
    space = new RegExp(config.space, "u");
    ignored = new RegExp(config.ignored, "gu");
    quotes = config.quotes;
    mark = config.mark;
    quoted = new RegExp("[" + Object.keys(quotes).join("") + "]", "g");
    anyQuote = new RegExp("[" + Object.keys(quotes).concat(Object.values(quotes)).join("").replace(/[\\\]^-]/g, "\\$&") + "]", "g");
    postMessage({ type: READY });
  } else if (message.type === QUERY) {
    var q = ++latest;
    search(message.data, q).then(function (result) {
      if (result && q === latest) postMessage({ type: RESULT, data: result });
    }, function (error) {
      console.error("casebook search:", error);
      if (q === latest) postMessage({ type: RESULT, data: { items: [], casebook: { q: q, error: String(error) } } });
    });
  } else if (message.type === PREVIEWS && message.data.q === shown.q) {
    var asked = shown;
    previews(message.data.pages, asked.needles).then(function (items) {
      postMessage({ type: PREVIEWS, data: { q: asked.q, items: items, h: asked.h } });
    }, function (error) { console.error("casebook search:", error); });
  }
});
