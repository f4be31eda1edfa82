"""Inline CSS and JavaScript of the static page (`leaderboard.render.render_page`).

No external script, stylesheet or font: the page works offline and from `file://`. Every string that
comes from a result file is inserted with `textContent` (never as HTML), and only http(s) links are
made clickable, because submission names and URLs arrive through pull requests.

What the page shows, from the data embedded by `render_page`:

- one protocol at a time (ranks compare runs of one protocol), opening on the default protocol's
  scored split; the view (protocol, split, action kind, row type, table or matrix, metric, extra
  columns, sort, selected run) lives in the URL's fragment, so a view can be linked;
- the table: Rank and Submission are sticky on the left, the headline Score (mean normalised return)
  comes next; secondary columns are collapsed behind "More columns";
- the matrix: one row per run, one colour-scaled cell per environment; N/A and failed cells are
  patterned and name their reason or failure category;
- CSV and JSON downloads of exactly the rows and columns (or matrix cells) shown.
"""

STYLE = r"""
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; --rep: #fff8e6; --ref: #f3f4f6;
        --sel: #ddf4ff; --bg: #fff; --rank-w: 3.2rem; --name-w: 16rem; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); background: var(--bg); margin: 1.2rem; line-height: 1.4; font-size: 15px; }
h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
h2 { font-size: 1.25rem; }
header p, #notes p { color: var(--muted); max-width: 72rem; margin: .3rem 0; }
#controls { display: flex; flex-wrap: wrap; gap: .5rem 1.1rem; align-items: center; margin: .8rem 0; }
#controls label { font-weight: 600; white-space: nowrap; }
#controls select, #controls button { margin-left: .3rem; font: inherit; }
#actions { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .4rem 0 .6rem; }
#actions button { font: inherit; }
#count { color: var(--muted); }
#view-title { margin: .6rem 0 .2rem; font-size: 1.1rem; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid var(--line); border-radius: .3rem; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top;
         background: var(--bg); }
thead th { background: var(--head); font-weight: 600; }
th.num, td.num { text-align: right; white-space: nowrap; }
thead th { white-space: normal; }
thead th.num:not(.sticky-rank) { white-space: normal; min-width: 5rem; }
th button { all: unset; cursor: pointer; }
th button:focus-visible { outline: 2px solid #0969da; }
th[aria-sort="ascending"], th[aria-sort="descending"] { background: #eaeef2; }
th small, td small { color: var(--muted); font-weight: normal; display: block; }
/* The first two columns stay on screen when the table scrolls sideways. */
.sticky-rank { position: sticky; left: 0; z-index: 2; width: var(--rank-w); min-width: var(--rank-w);
               max-width: var(--rank-w); }
.sticky-name { position: sticky; left: var(--rank-w); z-index: 2; width: var(--name-w); min-width: var(--name-w);
               max-width: var(--name-w); box-shadow: 1px 0 0 var(--line); }
td.sticky-name { overflow-wrap: anywhere; }
td[data-key="evaluated"] { white-space: nowrap; }
td.headline, th.headline { background: #eef6ff; font-weight: 600; border-left: 2px solid #54aeff;
                           border-right: 2px solid #54aeff; }
#leaderboard tbody tr { cursor: pointer; }
#leaderboard tbody tr:hover td { background: #f6f8fa; }
#leaderboard tbody tr.reported td { background: var(--rep); }
#leaderboard tbody tr.reference td { background: var(--ref); color: #3d444d; }
#leaderboard tbody tr.reference td.sticky-name .name { font-style: italic; }
#leaderboard tbody tr.selected td { background: var(--sel); }
#leaderboard tbody tr.first-unranked td { border-top: 2px solid #8c959f; }
.name { font-weight: 600; }
.description { color: var(--muted); font-size: .82rem; display: -webkit-box; -webkit-line-clamp: 2;
               -webkit-box-orient: vertical; overflow: hidden; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .78rem; white-space: nowrap;
         border: 1px solid var(--line); margin-top: .1rem; }
.badge.reported { background: #fff1c2; border-color: #d4a72c; }
.badge.reproduced { background: #dafbe1; border-color: #4ac26b; }
.badge.reference { background: #e7ecf0; border-color: #8c959f; }
.status-failed { color: #cf222e; font-weight: 600; }
/* Matrix cells: colour from the value; N/A and failed cells patterned so they never read as a number. */
#matrix td.cell { text-align: center; min-width: 3.1rem; padding: .3rem .2rem; white-space: nowrap; font-size: .88rem;
                  font-variant-numeric: tabular-nums; }
#matrix th.env { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; vertical-align: bottom;
                 font-size: .82rem; padding: .4rem .2rem; }
#matrix td.na { background: repeating-linear-gradient(45deg, #eaeef2 0 6px, #fff 6px 12px); color: #57606a; }
#matrix td.failed { background: repeating-linear-gradient(-45deg, #ffebe9 0 6px, #fff 6px 12px); color: #a40e26;
                    font-size: .78rem; white-space: normal; }
#matrix td.none { color: var(--muted); }
#matrix-legend { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .5rem 0;
                 font-size: .85rem; color: var(--muted); }
#matrix-legend .swatch { display: inline-block; width: 2.2rem; height: 1rem; border: 1px solid var(--line);
                         vertical-align: middle; margin-right: .25rem; }
#detail-envs td:last-child { min-width: 16rem; }
#detail { margin-top: 1.2rem; padding: 1rem; border: 1px solid var(--line); border-radius: .4rem; }
#detail h2 { margin-top: 0; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; }
#detail dt { font-weight: 600; }
#detail dd { margin: 0; overflow-wrap: anywhere; }
#plots figure { margin: 0 0 1.2rem; max-width: 100%; }
#plots img { max-width: 100%; border: 1px solid var(--line); }
#plots figcaption { color: var(--muted); max-width: 72rem; }
.warning { background: #fff8c5; padding: .5rem; }
@media (max-width: 700px) {
  :root { --rank-w: 3rem; --name-w: 8.5rem; }
  body { margin: .6rem; font-size: 14px; }
  h1 { font-size: 1.3rem; }
  .description { display: none; }
  th, td { padding: .25rem .35rem; }
}
"""

SCRIPT = r"""
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("cwmb-data").textContent);
  const ROWS = DATA.rows;
  const PROTOCOLS = [...new Set([DATA.default_protocol, ...ROWS.map((r) => r.protocol)])];
  // Every view setting, with its default; only non-default values go into the URL.
  const DEFAULTS = { protocol: DATA.default_protocol, split: "scored", action: "all", rows: "all", view: "table",
                     metric: "normalised_return", more: "0", sort: "", dir: "1", run: "" };
  const state = Object.assign({}, DEFAULTS);
  const $ = (id) => document.getElementById(id);
  const GROUP_TITLE = { discrete: "Discrete", continuous: "Continuous", all: "All envs" };
  const METRIC_TITLE = { normalised_return: "normalised return", accuracy: "accuracy",
                         state_error: "state error (one step; 1 \u2212 R\u00b2, or wrong next states for discrete states)" };
  const ROW_FILTERS = {
    all: () => true,
    submissions: (r) => r.kind === "reproduced" && !r.reference,
    references: (r) => r.reference,
    reported: (r) => r.kind === "reported",
  };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const missing = (x) => x === null || x === undefined;
  const DASH = "\u2014";
  const fmt = (x) => (missing(x) ? DASH : Number(x).toFixed(2));
  const fmtReturn = (x) => (missing(x) ? DASH : Number(x).toFixed(1));
  // Graded errors span 1e-12 (exact up to float32) to 1 (no information): small ones keep two significant digits.
  const fmtError = (x) => (missing(x) ? DASH : x === 0 ? "0" : x < 0.01 ? Number(x).toExponential(1) : Number(x).toFixed(2));
  const splitOf = (row) => (state.split === "scored" ? row.scored_split : state.split);
  const headlineGroup = () => state.action;  // the Score column follows the action-kind filter
  const cellOf = (row, group, metric) => {
    const cells = row.aggregates[splitOf(row)];
    return cells ? cells[group][metric] : null;
  };
  // Only http(s) links are clickable: result files arrive through pull requests.
  const isWeb = (url) => typeof url === "string" && /^https?:\/\//i.test(url);
  const safeLink = (url) => (isWeb(url) ? el("a", { href: url, rel: "noopener" }, url) : url || DASH);
  const joined = (parts, sep) => parts.filter((x) => !missing(x) && x !== "").join(sep) || DASH;
  const interval = (ci) => (ci ? "[" + fmt(ci[0]) + ", " + fmt(ci[1]) + "]" : "");
  const shortRevision = (rev) => (missing(rev) ? null : String(rev).slice(0, 12));
  const dateOf = (row) => (row.provenance.created ? String(row.provenance.created).slice(0, 10) : null);
  // The page is leaderboard/site/index.html: result files sit in leaderboard/results/, folders in submissions/.
  const resultHref = (row) => "../" + row.file;
  const folderHref = (row) => (row.submission_folder ? "../../" + row.submission_folder : null);
  const stop = (event) => event.stopPropagation();  // a link inside a row must not also select the row

  function rowType(row) {
    if (row.kind === "reported") return "reported";
    return row.reference ? "reference" : "submission";
  }

  // ---- URL fragment <-> state ------------------------------------------------------------------------------
  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (const key of Object.keys(DEFAULTS)) state[key] = params.has(key) ? params.get(key) : DEFAULTS[key];
    if (!PROTOCOLS.includes(state.protocol)) state.protocol = DEFAULTS.protocol;
    if (!["scored", "train", "test"].includes(state.split)) state.split = DEFAULTS.split;
    if (!["all", "discrete", "continuous"].includes(state.action)) state.action = DEFAULTS.action;
    if (!(state.rows in ROW_FILTERS)) state.rows = DEFAULTS.rows;
    if (!["table", "matrix"].includes(state.view)) state.view = DEFAULTS.view;
    if (!(state.metric in METRIC_TITLE)) state.metric = DEFAULTS.metric;
    state.dir = state.dir === "-1" ? "-1" : "1";
  }
  function writeHash() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(DEFAULTS)) if (state[key] !== value) params.set(key, state[key]);
    const text = params.toString();
    const url = location.href.split("#")[0] + (text ? "#" + text : "");
    if (url !== location.href) history.replaceState(null, "", url);
  }

  // ---- columns ---------------------------------------------------------------------------------------------
  function metricColumn(group, metric, options) {
    return Object.assign({
      key: group + "." + metric, title: GROUP_TITLE[group] + " " + (metric === "accuracy" ? "accuracy" : "norm. return"),
      type: "num", value: (r) => { const c = cellOf(r, group, metric); return c ? c.mean : null; },
      render: (r) => renderCell(cellOf(r, group, metric)),
      export: (r) => { const c = cellOf(r, group, metric) || {};
                       return { mean: c.mean, low: c.ci95 ? c.ci95[0] : null, high: c.ci95 ? c.ci95[1] : null,
                                error: missing(c.error) ? null : c.error }; },
    }, options || {});
  }

  function columns() {
    const group = headlineGroup();
    const cols = [
      { key: "rank", title: "Rank", type: "num", className: "sticky-rank", value: (r) => r.rank,
        render: (r) => (missing(r.rank) ? el("span", { title: "not ranked: " + rowType(r) }, DASH) : String(r.rank)) },
      { key: "name", title: "Submission", type: "str", className: "sticky-name", value: (r) => r.name,
        render: renderName, export: (r) => r.name },
      metricColumn(group, "normalised_return", {
        key: "score", title: "Score", subtitle: "mean norm. return, " + GROUP_TITLE[group].toLowerCase(),
        className: "headline" }),
      metricColumn(group, "accuracy", { key: "accuracy", title: "Accuracy",
                                        subtitle: GROUP_TITLE[group].toLowerCase() + ", " + state.split.replace("scored", "scored split") }),
      metricColumn(group, "state_error", { key: "state_error", title: "State error", lowerIsBetter: true,
                                           subtitle: "1 \u2212 R\u00b2, lower is better",
                                           tooltip: "graded one-step error of the vector-state environments (see How to read)" }),
    ];
    if (group === "all") cols.push(metricColumn("discrete", "normalised_return"), metricColumn("continuous", "normalised_return"));
    cols.push(
      { key: "method", title: "Method", type: "str", value: (r) => r.method },
      { key: "model", title: "Model", type: "str", value: (r) => r.model },
      { key: "llm_calls", title: "LLM calls", type: "num", value: (r) => r.llm_calls },
      { key: "evaluated", title: "Evaluated", type: "str", value: dateOf });
    if (state.more === "1") {
      if (group === "all") cols.push(metricColumn("discrete", "accuracy"), metricColumn("continuous", "accuracy"));
      cols.push(
        { key: "type", title: "Row", type: "str", value: rowType },
        { key: "split", title: "Split", type: "str", value: splitOf },
        { key: "seed", title: "Seed", type: "str", value: (r) => r.seed },
        { key: "harness", title: "Harness", type: "str", value: (r) => r.provenance.harness_version },
        { key: "dataset", title: "Dataset revision", type: "str",
          value: (r) => shortRevision(r.provenance.dataset_revision) || (r.provenance.paper_data ? "paper's data" : null),
          export: (r) => r.provenance.dataset_revision },
        { key: "isolation", title: "Isolation", type: "str", value: (r) => r.provenance.isolation },
        { key: "files", title: "Files", type: "str", value: (r) => r.file, render: renderFiles,
          export: (r) => ({ result_file: "leaderboard/" + r.file, submission_folder: r.submission_folder }) },
        { key: "description", title: "Description", type: "str", value: (r) => r.description });
    }
    return cols;
  }

  function renderName(row) {
    const cell = el("div", {}, el("div", { className: "name", text: row.name }),
                    badge(row));
    if (row.description) cell.append(el("div", { className: "description", title: row.description, text: row.description }));
    return cell;
  }

  // Reported rows name their table; a reference row says so instead of "reproduced".
  function badge(row) {
    const type = rowType(row);
    return el("span", { className: "badge " + (type === "submission" ? "reproduced" : type),
                        text: type === "reference" ? "reference" : row.label });
  }

  function renderFiles(row) {
    const links = el("span", {}, el("a", { href: resultHref(row), onclick: stop }, "result"));
    if (folderHref(row)) links.append(" \u00b7 ", el("a", { href: folderHref(row), onclick: stop }, "submission"));
    return links;
  }

  function renderCell(cell) {
    if (!cell || missing(cell.mean)) return DASH;
    const span = el("span", {}, fmt(cell.mean));
    if (cell.origin === "printed") {
      span.title = "as printed by the paper";
      if (!missing(cell.error)) span.append(el("small", { text: "\u00b1 " + fmt(cell.error) }));
    } else if (cell.ci95) {
      span.title = "bootstrap 95% interval over environments";
      span.append(el("small", { text: interval(cell.ci95) }));
    }
    return span;
  }

  // ---- rows ------------------------------------------------------------------------------------------------
  function visible(row) {
    if (row.protocol !== state.protocol) return false;
    if (!ROW_FILTERS[state.rows](row)) return false;
    if (!row.splits.includes(splitOf(row))) return false;
    if (state.action !== "all") {
      const cells = row.aggregates[splitOf(row)][state.action];
      if (missing(cells.accuracy.mean) && missing(cells.normalised_return.mean)) return false;
    }
    return true;
  }

  function compare(col, dir) {
    return (a, b) => {
      const x = col.value(a), y = col.value(b);
      if (missing(x) || missing(y)) return missing(x) === missing(y) ? 0 : missing(x) ? 1 : -1; // missing last
      const d = col.type === "num" ? x - y : String(x).localeCompare(String(y));
      return d * dir;
    };
  }

  function shownRows(cols) {
    let rows = ROWS.filter(visible);
    const sortCol = cols.find((c) => c.key === state.sort);
    if (sortCol) rows = rows.slice().sort(compare(sortCol, Number(state.dir))); // stable: ties keep ranked order
    return rows;
  }

  function sortBy(key) {
    if (state.sort === key) state.dir = state.dir === "1" ? "-1" : "1";
    else {
      const col = columns().find((c) => c.key === key);
      state.sort = key;
      state.dir = col.type === "num" && key !== "rank" && key !== "llm_calls" && !col.lowerIsBetter ? "-1" : "1"; // best first
    }
    draw();
  }

  function select(id) {
    state.run = state.run === id ? "" : id;
    draw();
    if (state.run) $("detail").scrollIntoView({ block: "nearest" });
  }

  function rowElement(row, index, rows, cells) {
    const onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(row.id); } };
    const firstUnranked = !state.sort && index > 0 && missing(row.rank) && !missing(rows[index - 1].rank);
    const classes = [row.kind, rowType(row) === "reference" ? "reference" : "", state.run === row.id ? "selected" : "",
                     firstUnranked ? "first-unranked" : ""].filter(Boolean).join(" ");
    return el("tr", { "data-run": row.id, "data-type": rowType(row), tabindex: 0, onclick: () => select(row.id),
                      onkeydown, className: classes }, ...cells);
  }

  function header(cols, sortable) {
    const head = el("tr");
    for (const col of cols) {
      const sorted = state.sort === col.key;
      const arrow = sorted ? (state.dir === "1" ? " \u25b2" : " \u25bc") : "";
      const label = [col.title, el("span", { className: "arrow", "aria-hidden": "true", text: arrow })];
      if (col.subtitle) label.push(el("small", { text: col.subtitle }));
      head.append(el("th", { scope: "col", className: [col.type, col.className].filter(Boolean).join(" "),
                             "data-key": col.key, title: col.tooltip,
                             "aria-sort": sorted ? (state.dir === "1" ? "ascending" : "descending") : "none" },
        sortable ? el("button", { type: "button", onclick: () => sortBy(col.key) }, ...label) : label[0]));
    }
    return head;
  }

  function drawTable(cols, rows) {
    const table = $("leaderboard");
    table.tHead.replaceChildren(header(cols, true));
    table.tBodies[0].replaceChildren(...rows.map((r, i) => rowElement(r, i, rows, cols.map((col) => {
      const value = col.render ? col.render(r) : col.value(r);
      return el("td", { className: [col.type, col.className].filter(Boolean).join(" "), "data-key": col.key },
                missing(value) ? DASH : value);
    }))));
  }

  // ---- matrix ----------------------------------------------------------------------------------------------
  const matrixEnvs = () => DATA.envs.filter((e) => state.action === "all" || e.kind === state.action);

  // One env's cell: {text, kind: "value" | "na" | "failed" | "none", value, reason}.
  function matrixCell(row, envId) {
    const e = row.envs.find((x) => x.env_id === envId);
    if (e.status === "failed") return { kind: "failed", text: "failed", reason: e.failure.category, value: null };
    const value = state.metric === "accuracy" ? e.accuracy[splitOf(row)]
      : state.metric === "state_error" ? (e.state_error || {})[splitOf(row)] : e.normalised_return;
    if (missing(value) && state.metric === "normalised_return" && e.not_applicable) {
      return { kind: "na", text: "N/A", reason: e.not_applicable, value: null };
    }
    if (missing(value)) return { kind: "none", text: DASH, reason: "not reported", value: null };
    if (state.metric === "state_error") {  // coloured like the others: darker is better (0 = exact)
      return { kind: "value", text: fmtError(value), reason: null, value, shade: 1 - Math.min(value, 1) };
    }
    return { kind: "value", text: fmt(value), reason: null, value };
  }

  // Sequential blue for 0..1 (values above 1 capped), orange for values below 0: a glance tells better from worse.
  function colour(value) {
    const mix = (a, b, t) => a.map((x, i) => Math.round(x + (b[i] - x) * t));
    const t = Math.max(-1, Math.min(1, value));
    const rgb = t >= 0 ? mix([247, 251, 255], [8, 81, 156], t) : mix([255, 245, 235], [217, 72, 1], -t);
    return { background: "rgb(" + rgb.join(",") + ")", dark: Math.abs(t) > 0.55 };
  }

  function drawMatrix(rows) {
    const envs = matrixEnvs();
    const nameCols = columns().slice(0, 2);
    const head = header(nameCols, false);
    for (const e of envs) head.append(el("th", { scope: "col", className: "env", "data-env": e.id, title: e.id, text: e.id }));
    $("matrix").tHead.replaceChildren(head);
    $("matrix").tBodies[0].replaceChildren(...rows.map((r, i) => rowElement(r, i, rows, [
      ...nameCols.map((col) => el("td", { className: [col.type, col.className].join(" ") }, col.render(r))),
      ...envs.map((e) => {
        const cell = matrixCell(r, e.id);
        const td = el("td", { className: "cell " + cell.kind, "data-env": e.id, title: e.id + ": " +
                              (cell.reason ? cell.text + " (" + cell.reason + ")" : cell.text) }, cell.text);
        if (cell.kind === "failed") td.append(el("small", { text: cell.reason }));
        if (cell.kind === "value") {
          const c = colour(missing(cell.shade) ? cell.value : cell.shade);
          td.style.background = c.background;
          td.style.color = c.dark ? "#fff" : "#1b1f24";
        }
        return td;
      })])));
    const swatch = (value, text) => el("span", {}, el("span", { className: "swatch", style: "background:" + colour(value).background }), text);
    $("matrix-legend").replaceChildren(
      el("span", { text: METRIC_TITLE[state.metric] + ":" }),
      ...(state.metric === "state_error" ? [swatch(1, "0 (exact)"), swatch(0.5, "0.5"), swatch(0, "\u2265 1")]
        : [swatch(-1, "\u2264 \u22121"), swatch(0, "0"), swatch(0.5, "0.5"), swatch(1, "\u2265 1")]),
      el("span", {}, el("span", { className: "swatch", style: "background:repeating-linear-gradient(45deg,#eaeef2 0 6px,#fff 6px 12px)" }),
         "N/A (oracle no better than random; left out of paper-2024 means, 0 in cwmb-v1)"),
      el("span", {}, el("span", { className: "swatch", style: "background:repeating-linear-gradient(-45deg,#ffebe9 0 6px,#fff 6px 12px)" }),
         "failed, with its category (counts 0)"),
      el("span", { text: DASH + " not reported" }));
  }

  // ---- downloads -------------------------------------------------------------------------------------------
  // What is shown, as flat records: table view = the shown columns; matrix view = one column per shown env.
  function records(cols, rows) {
    const base = (r) => ({ protocol: r.protocol, split: splitOf(r), run: r.id, type: rowType(r) });
    if (state.view === "matrix") {
      return rows.map((r) => {
        const out = Object.assign(base(r), { rank: r.rank, name: r.name, metric: state.metric });
        for (const e of matrixEnvs()) {
          const cell = matrixCell(r, e.id);
          out[e.id] = cell.kind === "value" ? cell.value : cell.kind === "none" ? null
            : cell.kind === "na" ? "N/A" : "failed (" + cell.reason + ")";
        }
        return out;
      });
    }
    return rows.map((r) => {
      const out = base(r);
      for (const col of cols) {
        const value = col.export ? col.export(r) : col.value(r);
        if (value !== null && typeof value === "object") {
          // A metric becomes key, key.low, key.high, key.error; the files column its two paths.
          for (const [part, v] of Object.entries(value)) {
            out[part === "mean" ? col.key : col.type === "num" ? col.key + "." + part : part] = missing(v) ? null : v;
          }
        } else out[col.key] = missing(value) ? null : value;
      }
      return out;
    });
  }

  function csvField(value) {
    if (missing(value)) return "";
    let text = String(value);
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text; // not a spreadsheet formula
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function toCsv(items) {
    const keys = [...new Set(items.flatMap((x) => Object.keys(x)))];
    return [keys, ...items.map((x) => keys.map((k) => x[k]))].map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
  }

  function download(format) {
    const cols = columns();
    const items = records(cols, shownRows(cols));
    const text = format === "csv" ? toCsv(items) : JSON.stringify(items, null, 1) + "\n";
    const type = format === "csv" ? "text/csv" : "application/json";
    const name = ["cwmb-leaderboard", state.protocol, state.split === "scored" ? "scored" : state.split, state.view]
      .join("-") + "." + format;
    const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  // ---- drawing ---------------------------------------------------------------------------------------------
  function draw() {
    const cols = columns();
    const rows = shownRows(cols);
    const protocol = DATA.protocols[state.protocol];
    const split = state.split === "scored" ? protocol.scored_split + " split (scored)" : state.split + " split";
    $("view-title").textContent = state.protocol + " \u00b7 " + split + (state.view === "matrix"
      ? " \u00b7 " + METRIC_TITLE[state.metric] + " per environment" : "");
    $("table-view").hidden = state.view !== "table";
    $("matrix-view").hidden = state.view !== "matrix";
    $("metric-label").hidden = state.view !== "matrix";
    if (state.view === "table") drawTable(cols, rows); else drawMatrix(rows);
    const total = ROWS.filter((r) => r.protocol === state.protocol).length;
    $("count").textContent = rows.length + " of " + total + " " + state.protocol + " runs shown";
    $("empty").hidden = ROWS.length > 0;
    for (const key of ["protocol", "split", "action", "rows", "view", "metric"]) $("filter-" + key).value = state[key];
    $("more-columns").setAttribute("aria-pressed", state.more === "1" ? "true" : "false");
    $("more-columns").textContent = state.more === "1" ? "Fewer columns" : "More columns";
    $("more-columns").hidden = state.view !== "table";
    for (const figure of document.querySelectorAll("#plots figure")) figure.hidden = figure.dataset.protocol !== state.protocol;
    writeHash();
    drawDetail();
  }

  function drawDetail() {
    const box = $("detail");
    const row = ROWS.find((r) => r.id === state.run);
    if (!row) { box.hidden = true; box.replaceChildren(); return; }
    const envs = row.envs.filter((e) => state.action === "all" || e.action_kind === state.action);
    const headers = ["Environment", "Paper id", "Actions", "Status", "Accuracy (train)", "Accuracy (test)",
                     "Mean return", "Random", "Oracle", "Normalised return", "Notes"];
    box.hidden = false;
    box.replaceChildren(
      el("h2", {}, row.name + " ", badge(row)),
      provenance(row),
      el("div", { className: "scroll" }, el("table", { id: "detail-envs" },
        el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...envs.map(envRow)))),
      el("p", {}, el("button", { type: "button", onclick: () => select(row.id) }, "Close")));
  }

  function provenance(row) {
    const p = row.provenance;
    const items = [
      ["Description", row.description],
      ["Protocol", row.protocol + " (scored split: " + row.scored_split + ")"],
      ["Rank", missing(row.rank) ? "not ranked (" + rowType(row) + ")" : String(row.rank)],
      ["Method / model", joined([row.method, row.model], " / ")],
      ["LLM calls", row.llm_calls], ["Seed", row.seed], ["Link", safeLink(row.url)],
    ];
    if (row.source) {
      items.push(["Source", joined([row.source.table, row.source.note], ": ")], ["Paper", row.source.paper]);
    }
    items.push(
      ["Result file", el("a", { href: resultHref(row) }, "leaderboard/" + row.file)],
      ["Submission folder", folderHref(row) ? el("a", { href: folderHref(row) }, row.submission_folder) : null],
      ["Dataset", joined([p.dataset_revision, p.dataset_source, p.paper_data && "paper data: " + p.paper_data], " \u00b7 ")],
      ["Harness version", p.harness_version], ["Evaluated", p.created], ["Sandbox isolation", p.isolation],
      ["Submission sha256", p.submission_sha256]);
    if (p.libraries) {
      const libraries = Object.entries(p.libraries).map(([name, v]) => (missing(v) ? null : name + " " + v));
      items.push(["Libraries", joined(libraries, ", ")]);
    }
    const dl = el("dl");
    for (const [term, value] of items) {
      dl.append(el("dt", { text: term }), el("dd", {}, missing(value) ? DASH : value));
    }
    return dl;
  }

  function envRow(e) {
    const notes = [];
    if (e.failure) notes.push(joined([e.failure.category, e.failure.message], ": "));
    if (e.not_applicable) notes.push(e.not_applicable);
    if (e.note) notes.push(e.note);
    const value = e.not_applicable && missing(e.normalised_return) ? "N/A" : fmt(e.normalised_return);
    const ret = el("span", {}, value);
    if (e.normalised_ci95) ret.append(el("small", { text: interval(e.normalised_ci95) }));
    const num = (text) => el("td", { className: "num", text });
    return el("tr", { "data-env": e.env_id },
      el("td", { text: e.env_id }), el("td", { text: e.paper_env_id }), el("td", { text: e.action_kind }),
      el("td", { className: "status-" + e.status, text: e.status }),
      num(fmt(e.accuracy.train)), num(fmt(e.accuracy.test)),
      num(fmtReturn(e.mean_return)), num(fmtReturn(e.random_return)), num(fmtReturn(e.oracle_return)),
      el("td", { className: "num" }, ret), el("td", { text: notes.join("; ") }));
  }

  function setUp() {
    for (const p of PROTOCOLS) $("filter-protocol").append(el("option", { value: p, text: p }));
    for (const key of ["protocol", "split", "action", "rows", "view", "metric"]) {
      $("filter-" + key).addEventListener("change", (e) => {
        state[key] = e.target.value;
        if (key === "protocol" || key === "action") state.sort = ""; // the sorted column may no longer exist
        draw();
      });
    }
    $("more-columns").addEventListener("click", () => { state.more = state.more === "1" ? "0" : "1"; draw(); });
    $("download-csv").addEventListener("click", () => download("csv"));
    $("download-json").addEventListener("click", () => download("json"));
    window.addEventListener("hashchange", () => { readHash(); draw(); });
    $("labels-text").textContent = DATA.labels.replace(/[`*]/g, "");
    $("rules-text").textContent = DATA.rules.replace(/`/g, "");
    const plots = $("plots");
    if (DATA.plots.length) plots.append(el("h2", { text: "Plots" }));
    for (const plot of DATA.plots) {
      plots.append(el("figure", { "data-protocol": plot.protocol },
                      el("img", { src: plot.src, alt: plot.caption, loading: "lazy" }),
                      el("figcaption", { text: plot.caption })));
    }
    readHash();
    draw();
  }
  setUp();
})();
"""
