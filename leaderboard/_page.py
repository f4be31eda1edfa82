"""Inline CSS and JavaScript of the static page (`leaderboard.render.render_page`).

No external script, stylesheet or font: the page works offline and from `file://`. Every string that
comes from a result file is inserted with `textContent` (never as HTML), and only http(s) links are
made clickable, because submission names and URLs arrive through pull requests.
"""

STYLE = r"""
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --head: #f6f8fa; --rep: #fff8e6; --sel: #ddf4ff; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); margin: 1.5rem; line-height: 1.4; font-size: 15px; }
h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
header p, #notes p { color: var(--muted); max-width: 70rem; }
#controls { display: flex; flex-wrap: wrap; gap: .5rem 1.2rem; align-items: center; margin: 1rem 0; }
#controls label { font-weight: 600; }
#controls select { margin-left: .3rem; font: inherit; }
#count { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
#leaderboard th, #leaderboard td { white-space: nowrap; }
th.num, td.num { text-align: right; white-space: nowrap; }
thead th { background: var(--head); position: sticky; top: 0; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid #0969da; }
th[aria-sort="ascending"], th[aria-sort="descending"] { background: #eaeef2; }
#leaderboard tbody tr { cursor: pointer; }
#leaderboard tbody tr:hover { background: #f3f4f6; }
#leaderboard tbody tr.reported { background: var(--rep); }
#leaderboard tbody tr.selected { background: var(--sel); }
td small { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; white-space: nowrap;
         border: 1px solid var(--line); }
.badge.reported { background: #fff1c2; border-color: #d4a72c; }
.badge.reproduced { background: #dafbe1; border-color: #4ac26b; }
.status-failed { color: #cf222e; font-weight: 600; }
#detail-envs td:last-child { min-width: 18rem; }
#detail { margin-top: 1.5rem; padding: 1rem; border: 1px solid var(--line); border-radius: .4rem; }
#detail h2 { margin-top: 0; font-size: 1.2rem; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; }
#detail dt { font-weight: 600; }
#detail dd { margin: 0; overflow-wrap: anywhere; }
#plots figure { display: inline-block; margin: 0 1rem 1rem 0; max-width: 100%; }
#plots img { max-width: 100%; border: 1px solid var(--line); }
.warning { background: #fff8c5; padding: .5rem; }
"""

SCRIPT = r"""
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("cwmb-data").textContent);
  const ROWS = DATA.rows;
  const state = { protocol: "", split: "scored", action: "all", kind: "", sortKey: null, sortDir: 1, selected: null };
  const $ = (id) => document.getElementById(id);
  const GROUPS = { all: ["discrete", "continuous", "all"], discrete: ["discrete"], continuous: ["continuous"] };
  const GROUP_TITLE = { discrete: "Discrete", continuous: "Continuous", all: "All envs" };
  const METRICS = [["accuracy", "accuracy"], ["normalised_return", "norm. return"]];

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
  const fmt = (x) => (missing(x) ? "\u2014" : Number(x).toFixed(2));
  const fmtReturn = (x) => (missing(x) ? "\u2014" : Number(x).toFixed(1));
  const splitOf = (row) => (state.split === "scored" ? row.scored_split : state.split);
  const cellOf = (row, group, metric) => {
    const cells = row.aggregates[splitOf(row)];
    return cells ? cells[group][metric] : null;
  };
  // Only http(s) links are clickable: result files arrive through pull requests.
  const isWeb = (url) => typeof url === "string" && /^https?:\/\//i.test(url);
  const safeLink = (url) => (isWeb(url) ? el("a", { href: url, rel: "noopener" }, url) : url || "\u2014");
  const joined = (parts, sep) => parts.filter((x) => !missing(x) && x !== "").join(sep) || "\u2014";
  const interval = (ci) => (ci ? " [" + fmt(ci[0]) + ", " + fmt(ci[1]) + "]" : "");

  function columns() {
    const cols = [
      { key: "rank", title: "Rank", type: "num", value: (r) => r.rank },
      { key: "name", title: "Submission", type: "str", value: (r) => r.name },
      { key: "label", title: "Row", type: "str", value: (r) => r.label,
        render: (r) => el("span", { className: "badge " + r.kind, text: r.label }) },
      { key: "protocol", title: "Protocol", type: "str", value: (r) => r.protocol },
      { key: "split", title: "Split", type: "str", value: (r) => splitOf(r) },
      { key: "method", title: "Method", type: "str", value: (r) => r.method },
      { key: "model", title: "Model", type: "str", value: (r) => r.model },
      { key: "llm_calls", title: "LLM calls", type: "num", value: (r) => r.llm_calls },
    ];
    for (const group of GROUPS[state.action]) {
      for (const [metric, title] of METRICS) {
        cols.push({
          key: group + "." + metric, title: GROUP_TITLE[group] + " " + title, type: "num",
          value: (r) => { const c = cellOf(r, group, metric); return c ? c.mean : null; },
          render: (r) => renderCell(cellOf(r, group, metric)),
        });
      }
    }
    return cols;
  }

  function renderCell(cell) {
    if (!cell || missing(cell.mean)) return "\u2014";
    const span = el("span", {}, fmt(cell.mean));
    if (cell.origin === "printed") {
      span.title = "as printed by the paper";
      if (!missing(cell.error)) span.append(el("small", { text: " \u00b1 " + fmt(cell.error) }));
    } else if (cell.ci95) {
      span.title = "bootstrap 95% interval over environments";
      span.append(el("small", { text: interval(cell.ci95) }));
    }
    return span;
  }

  function visible(row) {
    if (state.protocol && row.protocol !== state.protocol) return false;
    if (state.kind && row.kind !== state.kind) return false;
    if (!row.splits.includes(splitOf(row))) return false;
    if (state.action !== "all") {
      const cells = row.aggregates[splitOf(row)][state.action];
      if (missing(cells.accuracy.mean) && missing(cells.normalised_return.mean)) return false;
    }
    return true;
  }

  function compare(col) {
    return (a, b) => {
      const x = col.value(a), y = col.value(b);
      if (missing(x) || missing(y)) return missing(x) === missing(y) ? 0 : missing(x) ? 1 : -1; // missing last
      const d = col.type === "num" ? x - y : String(x).localeCompare(String(y));
      return d * state.sortDir;
    };
  }

  function sortBy(key) {
    if (state.sortKey === key) state.sortDir = -state.sortDir;
    else {
      state.sortKey = key;
      const col = columns().find((c) => c.key === key);
      state.sortDir = col.type === "num" && key !== "rank" && key !== "llm_calls" ? -1 : 1; // best first
    }
    draw();
  }

  function select(id) {
    state.selected = state.selected === id ? null : id;
    draw();
    if (state.selected) $("detail").scrollIntoView({ block: "nearest" });
  }

  function draw() {
    const cols = columns();
    const table = $("leaderboard");
    const head = el("tr");
    for (const col of cols) {
      const sorted = state.sortKey === col.key;
      const arrow = sorted ? (state.sortDir > 0 ? " \u25b2" : " \u25bc") : "";
      head.append(el("th", { scope: "col", className: col.type, "data-key": col.key,
                             "aria-sort": sorted ? (state.sortDir > 0 ? "ascending" : "descending") : "none" },
        el("button", { type: "button", onclick: () => sortBy(col.key) }, col.title,
          el("span", { className: "arrow", "aria-hidden": "true", text: arrow }))));
    }
    table.tHead.replaceChildren(head);
    let rows = ROWS.filter(visible);
    const sortCol = cols.find((c) => c.key === state.sortKey);
    if (sortCol) rows = rows.slice().sort(compare(sortCol)); // stable: ties keep the ranked order
    table.tBodies[0].replaceChildren(...rows.map((r) => {
      const onkeydown = (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(r.id); }
      };
      const tr = el("tr", { "data-run": r.id, tabindex: 0, onclick: () => select(r.id), onkeydown,
                            className: r.kind + (state.selected === r.id ? " selected" : "") });
      for (const col of cols) {
        const value = col.render ? col.render(r) : col.value(r);
        tr.append(el("td", { className: col.type }, missing(value) ? "\u2014" : value));
      }
      return tr;
    }));
    $("count").textContent = rows.length + " of " + ROWS.length + " runs shown";
    $("empty").hidden = ROWS.length > 0;
    drawDetail();
  }

  function drawDetail() {
    const box = $("detail");
    const row = ROWS.find((r) => r.id === state.selected);
    if (!row) { box.hidden = true; box.replaceChildren(); return; }
    const envs = row.envs.filter((e) => state.action === "all" || e.action_kind === state.action);
    const headers = ["Environment", "Paper id", "Actions", "Status", "Accuracy (train)", "Accuracy (test)",
                     "Mean return", "Random", "Oracle", "Normalised return", "Notes"];
    box.hidden = false;
    box.replaceChildren(
      el("h2", {}, row.name + " ", el("span", { className: "badge " + row.kind, text: row.label })),
      provenance(row),
      el("div", { className: "scroll" }, el("table", { id: "detail-envs" },
        el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...envs.map(envRow)))),
      el("p", {}, el("button", { type: "button", onclick: () => select(row.id) }, "Close")));
  }

  function provenance(row) {
    const p = row.provenance;
    const items = [
      ["Protocol", row.protocol + " (scored split: " + row.scored_split + ")"],
      ["Method / model", joined([row.method, row.model], " / ")],
      ["LLM calls", row.llm_calls], ["Seed", row.seed], ["Link", safeLink(row.url)],
    ];
    if (row.source) {
      items.push(["Source", joined([row.source.table, row.source.note], ": ")], ["Paper", row.source.paper]);
    }
    items.push(
      ["Result file", el("a", { href: "../" + row.file }, row.file)],
      ["Dataset", joined([p.dataset_revision, p.dataset_source, p.paper_data && "paper data: " + p.paper_data],
                         " \u00b7 ")],
      ["Harness version", p.harness_version], ["Created", p.created], ["Submission sha256", p.submission_sha256]);
    if (p.libraries) {
      const libraries = Object.entries(p.libraries).map(([name, v]) => (missing(v) ? null : name + " " + v));
      items.push(["Libraries", joined(libraries, ", ")]);
    }
    const dl = el("dl");
    for (const [term, value] of items) {
      dl.append(el("dt", { text: term }), el("dd", {}, missing(value) ? "\u2014" : value));
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
    const protocols = [...new Set(ROWS.map((r) => r.protocol))];
    for (const p of protocols) $("filter-protocol").append(el("option", { value: p, text: p }));
    const bind = (id, key) => $(id).addEventListener("change", (e) => { state[key] = e.target.value; draw(); });
    bind("filter-protocol", "protocol");
    bind("filter-split", "split");
    bind("filter-action", "action");
    bind("filter-kind", "kind");
    $("labels-text").textContent = DATA.labels.replace(/[`*]/g, "");
    $("rules-text").textContent = DATA.rules.replace(/`/g, "");
    const plots = $("plots");
    if (DATA.plots.length) plots.append(el("h2", { text: "Plots" }));
    for (const plot of DATA.plots) {
      plots.append(el("figure", {}, el("img", { src: plot.src, alt: plot.caption, loading: "lazy" }),
                      el("figcaption", { text: plot.caption })));
    }
    draw();
  }
  setUp();
})();
"""
