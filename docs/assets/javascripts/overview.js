/* 案例总览: filter the case table by facet and text, and sort it by clicking a column header.
   Plain script, no library, works from file:// (the offline copy). The facet values of each row
   come from the JSON block the casebook plugin writes after the table (same row order). */
(function () {
  "use strict";

  function setup() {
    var host = document.querySelector("[data-cb-overview]");
    var data = document.getElementById("cb-overview-data");
    if (!host || !data || host.dataset.ready) return;
    var table = null;
    for (var el = host.nextElementSibling; el && !table; el = el.nextElementSibling) {
      table = el.tagName === "TABLE" ? el : el.querySelector("table");
    }
    if (!table) return;
    host.dataset.ready = "1";
    var info = JSON.parse(data.textContent);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row._facets = info.rows[i] || {}; });

    var form = document.createElement("form");
    form.className = "cb-filter";
    form.setAttribute("role", "search");
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var selects = info.facets.filter(function (f) { return f.values.length; }).map(function (facet) {
      var label = document.createElement("label");
      label.textContent = facet.label + " ";
      var select = document.createElement("select");
      select.name = facet.key;
      select.setAttribute("data-cb-facet", facet.key);
      select.appendChild(new Option("全部", ""));
      facet.values.forEach(function (v) { select.appendChild(new Option(v, v)); });
      select.addEventListener("change", apply);
      label.appendChild(select);
      form.appendChild(label);
      return select;
    });
    var text = document.createElement("input");
    text.type = "search";
    text.placeholder = "在标题、单位中查找";
    text.setAttribute("data-cb-text", "");
    text.addEventListener("input", apply);
    var textLabel = document.createElement("label");  // a visible name, not only the placeholder
    textLabel.textContent = "查找 ";
    textLabel.appendChild(text);
    form.appendChild(textLabel);
    var reset = document.createElement("button");
    reset.type = "button";
    reset.className = "md-button";
    reset.textContent = "清除筛选";
    reset.addEventListener("click", function () {
      selects.forEach(function (s) { s.value = ""; });
      text.value = "";
      apply();
    });
    form.appendChild(reset);
    var count = document.createElement("p");
    count.className = "cb-count";
    count.setAttribute("aria-live", "polite");
    host.appendChild(form);
    host.appendChild(count);

    // A title cell's text is its link's: not the 待补充 flag after it (the 完整性 filter has that).
    function title(cell) {
      var link = cell.querySelector("a");
      return (link || cell).textContent;
    }

    function apply() {
      var query = text.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var ok = selects.every(function (s) {
          return !s.value || (row._facets[s.name] || []).indexOf(s.value) >= 0;
        });
        if (ok && query) {
          ok = (title(row.cells[0]) + " " + row.cells[1].textContent).toLowerCase().indexOf(query) >= 0;
        }
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = "显示 " + shown + " / " + rows.length + " 个案例";
    }

    // A sort key: the cell's text, its opening quote mark left out (“阳光车队”工作法 sorts under
    // Y, not before every title without one).
    function sortKey(cell) {
      return title(cell).trim().replace(/^[\s\p{P}]+/u, "");
    }

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.classList.add("cb-sortable");
      th.setAttribute("aria-sort", "none");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
          other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort(function (a, b) {
          return (asc ? 1 : -1) * sortKey(a.cells[col]).localeCompare(sortKey(b.cells[col]), "zh-Hans-CN");
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
    apply();
  }

  // Material's instant loading (if ever enabled) swaps pages without a load event.
  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setup);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
