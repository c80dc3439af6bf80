/* linkgraph explorer. Data strings are only ever written with textContent or as attribute
   values set through the DOM; no node has a vis `title`, since vis renders those as HTML.
   A small site's page carries its whole graph. A big site's page ("overview" mode) carries one
   node per topic cluster; opening a cluster loads its graph from a sibling script file, which
   hands it over by calling window.linkgraphCluster (file:// pages may not fetch()). */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("data").textContent);
  const isOverview = data.mode === "overview";
  const panel = document.getElementById("panel");
  const firstHint = panel.textContent.trim();
  const neighbourButton = document.getElementById("neighbourhood");
  const overviewButton = document.getElementById("to-overview");
  const status = document.getElementById("search-status");
  const loading = document.getElementById("loading");
  const parts = new Map();
  const pending = new Map();
  let directory = null;
  let directoryLoad = null;
  let graph = null;
  let nodes = new vis.DataSet([]);
  let edges = new vis.DataSet([]);
  let searchIndex = [];
  let shownNodes = new Set();
  let shownEdges = new Set();
  let state = defaultState();
  let selected = null;

  const network = new vis.Network(
    document.getElementById("graph"), { nodes: nodes, edges: edges }, visOptions());

  function visOptions() {
    return {
      autoResize: true,
      nodes: { font: { size: 12, face: "system-ui, sans-serif", multi: false } },
      edges: { smooth: false, selectionWidth: 1.5, arrows: { to: { scaleFactor: 0.5 } } },
      layout: { randomSeed: 7, improvedLayout: false },
      interaction: { hover: true, tooltipDelay: 300 },
      physics: false,
    };
  }

  function physicsOptions(on) {
    return on ? {
      enabled: true,
      solver: "barnesHut",
      barnesHut: { gravitationalConstant: -4000, springLength: 120, avoidOverlap: 0.2 },
      stabilization: { enabled: true, iterations: 300, updateInterval: 50, fit: true },
    } : false;
  }

  /* Nodes carry two colours and edges only their kind; the rest of their look is added here,
     with whether each starts hidden, so vis draws a big graph once and hides nothing after. */
  function layoutNode(node) {
    const c = node.color;
    const active = { background: c.background, border: "#000000" };
    return Object.assign({}, node, { hidden: !shownNodes.has(node.id),
                                     color: { background: c.background, border: c.border,
                                              highlight: active, hover: active } });
  }

  function layoutEdge(edge) {
    return Object.assign({}, data.edgeStyles[edge.kind], edge, { hidden: false });
  }

  /* While the browser lays a graph out every edge but navigation pulls, so concepts that are
     only mentioned still settle next to their pages; the user's filters apply once it is done. */
  function layoutVisibility(next) {
    return { nodes: new Set(next.nodes.map(function (n) { return n.id; })),
             edges: new Set(next.edges.filter(function (e) { return e.kind !== "nav"; })
                                      .map(function (e) { return e.id; })) };
  }

  function defaultState() {
    const edgeKinds = {};
    document.querySelectorAll("input[data-edge]").forEach(function (box) {
      edgeKinds[box.dataset.edge] = box.defaultChecked;
    });
    return { groups: { page: true, concept: true }, ctypes: {}, edgeKinds: edgeKinds,
             onlyGaps: false, focus: null };
  }

  /* ---- the graph on screen ----------------------------------------------------------- */

  function prepare(source, group) {
    return { nodes: source.nodes, edges: source.edges, details: source.details,
             physics: source.physics === true, group: group, byNode: indexEdges(source.edges) };
  }

  function indexEdges(list) {
    const index = new Map();
    list.forEach(function (edge) {
      [edge.from, edge.to].forEach(function (id) {
        if (!index.has(id)) index.set(id, []);
        index.get(id).push(edge);
      });
    });
    return index;
  }

  /* Replace the graph on screen; resolves once it is laid out, filtered and fitted. */
  function showGraph(next) {
    graph = next;
    selected = null;
    state.focus = null;
    readFilters();
    const initial = next.physics ? layoutVisibility(next) : visibility();
    shownNodes = initial.nodes;
    shownEdges = initial.edges;
    nodes = new vis.DataSet(next.nodes.map(layoutNode));
    edges = new vis.DataSet(next.edges.filter(function (e) { return shownEdges.has(e.id); }).map(layoutEdge));
    searchIndex = buildSearchIndex();
    network.setOptions({ physics: physicsOptions(next.physics && next.nodes.length > 0),
                         interaction: { hideEdgesOnDrag: next.nodes.length > 1500 } });
    const settled = new Promise(function (resolve) {
      if (next.physics && next.nodes.length) network.once("stabilizationIterationsDone", resolve);
      else resolve();
    });
    network.setData({ nodes: nodes, edges: edges });
    return settled.then(function () {
      if (next.physics) network.setOptions({ physics: false });
      readFilters();
      apply();
      network.fit({ animation: false });
      showControls();
    });
  }

  function inOverview() { return isOverview && graph.group === null; }

  function showControls() {
    const overviewShown = inOverview();
    ["node-filters", "edge-filters"].forEach(function (id) {
      document.getElementById(id).disabled = overviewShown;
    });
    document.getElementById("only-gaps").disabled = overviewShown;
    if (overviewButton) overviewButton.hidden = !isOverview || overviewShown;
  }

  /* ---- filtering --------------------------------------------------------------------- */

  function nodeAllowed(node) {
    if (node.nodeType === "cluster") return true;
    if (!state.groups[node.nodeType]) return false;
    return node.nodeType !== "concept" || state.ctypes[node.ctype] !== false;
  }

  function edgeAllowed(edge) {
    if (edge.kind === "clusterlink") return true;
    return state.onlyGaps ? edge.kind === "gap" : state.edgeKinds[edge.kind] === true;
  }

  function visibleNodeSet() {
    const visible = new Set(graph.nodes.filter(nodeAllowed).map(function (n) { return n.id; }));
    if (state.onlyGaps) restrictTo(visible, gapEndpoints());
    if (state.focus !== null) {
      const near = neighbourhood(state.focus, visible);
      visible.add(state.focus);
      restrictTo(visible, near);
    }
    return visible;
  }

  function restrictTo(visible, keep) {
    Array.from(visible).forEach(function (id) { if (!keep.has(id)) visible.delete(id); });
  }

  function gapEndpoints() {
    const ends = new Set();
    graph.edges.forEach(function (e) { if (e.kind === "gap") { ends.add(e.from); ends.add(e.to); } });
    return ends;
  }

  function neighbourhood(id, allowed) {
    const near = new Set([id]);
    (graph.byNode.get(id) || []).forEach(function (edge) {
      const other = edge.from === id ? edge.to : edge.from;
      if (edgeAllowed(edge) && allowed.has(other)) near.add(other);
    });
    return near;
  }

  /* A concept is only shown with at least one visible edge (or when it is the one selected). */
  function dropLoneConcepts(visible, shownEdges) {
    const linked = new Set([selected, state.focus]);
    shownEdges.forEach(function (e) { linked.add(e.from); linked.add(e.to); });
    graph.nodes.forEach(function (n) {
      if (n.nodeType === "concept" && !linked.has(n.id)) visible.delete(n.id);
    });
  }

  function visibility() {
    const visible = visibleNodeSet();
    const edgesShown = graph.edges.filter(function (e) {
      return edgeAllowed(e) && visible.has(e.from) && visible.has(e.to);
    });
    dropLoneConcepts(visible, edgesShown);
    return { nodes: visible, edges: new Set(edgesShown.map(function (e) { return e.id; })) };
  }

  /* Only items whose visibility changes are sent to vis, since on a big graph each costs. Nodes
     are hidden and shown; edges are added and removed, so vis never handles edges not drawn. */
  function changes(items, before, after) {
    const out = [];
    items.forEach(function (item) {
      const shown = after.has(item.id);
      if (shown !== before.has(item.id)) out.push({ id: item.id, hidden: !shown });
    });
    return out;
  }

  function apply() {
    const next = visibility();
    nodes.update(changes(graph.nodes, shownNodes, next.nodes));
    const edgeChanges = changes(graph.edges, shownEdges, next.edges);
    edges.remove(edgeChanges.filter(function (c) { return c.hidden; }).map(function (c) { return c.id; }));
    edges.add(graph.edges.filter(function (e) { return next.edges.has(e.id) && !shownEdges.has(e.id); })
                .map(layoutEdge));
    shownNodes = next.nodes;
    shownEdges = next.edges;
    neighbourButton.textContent = state.focus !== null ? "Whole graph" : "Neighbourhood";
    neighbourButton.disabled = inOverview() || (state.focus === null && selected === null);
  }

  function readFilters() {
    document.querySelectorAll("input[data-group]").forEach(function (box) {
      state.groups[box.dataset.group] = box.checked;
    });
    document.querySelectorAll("input[data-ctype]").forEach(function (box) {
      state.ctypes[box.dataset.ctype] = box.checked;
    });
    document.querySelectorAll("input[data-edge]").forEach(function (box) {
      state.edgeKinds[box.dataset.edge] = box.checked;
    });
    state.onlyGaps = document.getElementById("only-gaps").checked;
  }

  /* ---- clusters and the page directory (overview mode) ------------------------------- */

  window.linkgraphCluster = function (number, part) {
    if (pending.has(number) && !parts.has(number)) parts.set(number, part);
  };

  window.linkgraphPages = function (count, rows) {
    if (directory === null && directoryLoad !== null) {
      directory = new Map(rows.map(function (row) { return [row[0], { title: row[1], group: row[2] }]; }));
    }
  };

  function loadScript(src, take) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = src;
      script.onload = function () {
        const value = take();
        if (value) resolve(value); else reject(new Error(src + " did not register its data"));
      };
      script.onerror = function () {
        reject(new Error("Could not load " + src + ": keep that folder next to this page."));
      };
      document.head.appendChild(script);
    });
  }

  function loadGroup(number) {
    if (parts.has(number)) return Promise.resolve(parts.get(number));
    if (!pending.has(number)) {
      const load = loadScript(data.groups[number].file, function () { return parts.get(number); });
      pending.set(number, load);
      load.catch(function () { pending.delete(number); });
    }
    return pending.get(number);
  }

  function loadDirectory() {
    if (!isOverview) return Promise.resolve(null);
    if (directoryLoad === null) {
      directoryLoad = loadScript(data.directory, function () { return directory; });
      directoryLoad.catch(function () { directoryLoad = null; });
    }
    return directoryLoad;
  }

  function busy(text) {
    loading.textContent = text;
    loading.hidden = false;
  }

  function idle() { loading.hidden = true; }

  function failed(error) {
    idle();
    status.textContent = error.message;
    return null;
  }

  /* Resolves to the cluster's number once it is on screen, or to null when its file failed. */
  function openGroup(number) {
    if (graph.group === number) return Promise.resolve(number);
    busy("Loading “" + data.groups[number].name + "”…");
    return loadGroup(number)
      .then(function (part) { return showGraph(prepare(part, number)); })
      .then(function () { idle(); showGroupSummary(number); return number; }, failed);
  }

  function showOverview() {
    if (inOverview()) return Promise.resolve(null);
    return showGraph(prepare(data, null)).then(function () { unselect(); return null; });
  }

  function groupOf(id) {
    if (id.startsWith("cluster:")) return Number(id.slice(8));
    const row = directory && directory.get(id);
    return row ? row.group : null;
  }

  /* Show a node, loading the cluster it lives in first when it is not on screen. */
  function goTo(id) {
    if (graph.details[id] && !id.startsWith("cluster:")) return Promise.resolve(select(id, true) ? id : null);
    return loadDirectory().then(function () {
      const group = groupOf(id);
      if (group === null) return null;
      return openGroup(group).then(function (opened) {
        if (opened === null) return null;
        return select(id, true) ? id : "cluster:" + group;
      });
    });
  }

  /* ---- selection and search ---------------------------------------------------------- */

  function buildSearchIndex() {
    const list = document.getElementById("search-list");
    clear(list);
    return graph.nodes.map(function (n) {
      const d = graph.details[n.id] || {};
      const option = document.createElement("option");
      option.value = d.title || n.label;
      list.appendChild(option);
      return { id: n.id, keys: [d.title || n.label, d.url || "", d.iri || ""].map(fold) };
    });
  }

  function fold(text) { return String(text || "").trim().toLowerCase(); }

  function firstMatch(entries, q) {
    const tests = [
      function (k) { return k === q; },
      function (k) { return k.startsWith(q); },
      function (k) { return k.includes(q); },
    ];
    for (const test of tests) {
      const hit = entries.find(function (entry) { return entry.keys.some(test); });
      if (hit) return hit.id;
    }
    return null;
  }

  function find(query) {
    const q = fold(query);
    return q ? firstMatch(searchIndex, q) : null;
  }

  function nothing(query) {
    status.textContent = "Nothing matches “" + query + "”.";
    return null;
  }

  /* Small sites answer at once; in overview mode a miss on screen searches every cluster's
     name, then every page (from the directory file), and the answer is a promise. */
  function search(query) {
    const id = find(query);
    status.textContent = "";
    if (id !== null && !id.startsWith("cluster:")) { select(id, true); return id; }
    if (id !== null) return openGroup(groupOf(id)).then(function (opened) { return opened === null ? null : id; });
    if (!isOverview || !fold(query)) return nothing(query);
    return searchSite(fold(query)).then(function (hit) { return hit === null ? nothing(query) : goTo(hit); });
  }

  function searchSite(q) {
    const clusters = data.nodes.map(function (n) { return { id: n.id, keys: [fold(data.details[n.id].title)] }; });
    const cluster = firstMatch(clusters, q);
    if (cluster !== null) return Promise.resolve(cluster);
    return loadDirectory().then(function () {
      const pages = [];
      directory.forEach(function (row, url) { pages.push({ id: url, keys: [fold(row.title), fold(url)] }); });
      return firstMatch(pages, q);
    });
  }

  function reveal(id) {
    const node = nodes.get(id);
    if (!node || !node.hidden) return;
    state.onlyGaps = false;
    state.focus = null;
    document.getElementById("only-gaps").checked = false;
    const group = document.querySelector('input[data-group="' + node.nodeType + '"]');
    if (group) group.checked = true;
    document.querySelectorAll("input[data-ctype]").forEach(function (box) {
      if (box.dataset.ctype === node.ctype) box.checked = true;
    });
    readFilters();
    apply();
  }

  function select(id, focus) {
    if (!nodes.get(id)) return false;
    if (id.startsWith("cluster:")) { openGroup(Number(id.slice(8))); return true; }
    reveal(id);
    selected = id;
    apply();
    network.selectNodes([id]);
    if (focus) network.focus(id, { scale: Math.max(network.getScale(), 1.0), animation: false });
    showDetails(id);
    return true;
  }

  function unselect() {
    selected = null;
    network.unselectAll();
    clear(panel);
    if (isOverview && graph.group !== null) showGroupSummary(graph.group);
    else panel.appendChild(el("p", firstHint, "hint"));
    apply();
  }

  /* ---- side panel -------------------------------------------------------------------- */

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function siteLink(url) {
    let parsed;
    try { parsed = new URL(url); } catch (e) { return null; }
    const web = parsed.protocol === "http:" || parsed.protocol === "https:";
    if (!web || parsed.hostname.toLowerCase() !== data.site) return null;
    const a = el("a", url, "url");
    a.href = parsed.href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    return a;
  }

  function titleOf(id) {
    const d = graph.details[id];
    if (d) return d.title || id;
    const row = directory && directory.get(id);
    return row ? row.title || id : id;
  }

  function nodeLink(id, text) {
    const elsewhere = !graph.details[id];
    const button = el("button", text || titleOf(id), elsewhere ? "nodelink elsewhere" : "nodelink");
    button.type = "button";
    button.addEventListener("click", function () { goTo(id); });
    return button;
  }

  function linkList(title, ids, empty) {
    const box = document.createDocumentFragment();
    box.appendChild(el("h3", title + " (" + ids.length + ")"));
    if (!ids.length) { box.appendChild(el("p", empty, "hint")); return box; }
    const ul = el("ul");
    ids.forEach(function (id) { const li = el("li"); li.appendChild(nodeLink(id)); ul.appendChild(li); });
    box.appendChild(ul);
    return box;
  }

  function metricList(rows) {
    const dl = el("dl");
    rows.forEach(function (row) { dl.appendChild(el("dt", row[0])); dl.appendChild(el("dd", row[1])); });
    return dl;
  }

  function yesNo(flag) { return flag ? "yes" : "no"; }

  function pageMetrics(m) {
    return metricList([
      ["Links in", m.inlinks], ["Links out", m.outlinks], ["Nav links in", m.navInlinks],
      ["Broken links", m.brokenLinks], ["Link score", m.linkScore],
      ["Depth", m.depth === null ? "unreachable" : m.depth],
      ["Orphan", yesNo(m.orphan)], ["Dead end", yesNo(m.deadEnd)],
    ].concat(m.cluster ? [["Cluster", m.cluster]] : []));
  }

  function gapItem(gap, otherEnd) {
    const li = el("li", null, "gap");
    const head = el("div");
    head.appendChild(nodeLink(gap[otherEnd]));
    head.appendChild(document.createTextNode(" · anchor "));
    head.appendChild(el("q", gap.anchor));
    li.appendChild(head);
    if (gap.sentence) li.appendChild(el("div", gap.sentence, "sentence"));
    const where = gap.section ? " · section: " + gap.section : "";
    li.appendChild(el("div", gap.reason + where + " · score " + gap.score, "meta"));
    return li;
  }

  function gapList(title, gaps, otherEnd) {
    const box = document.createDocumentFragment();
    box.appendChild(el("h3", title + " (" + gaps.length + ")"));
    if (!gaps.length) { box.appendChild(el("p", "None.", "hint")); return box; }
    const ul = el("ul");
    gaps.forEach(function (gap) { ul.appendChild(gapItem(gap, otherEnd)); });
    box.appendChild(ul);
    return box;
  }

  function tags(d) {
    const box = el("div");
    const m = d.metrics;
    [[m.orphan, "orphan"], [m.deadEnd, "dead end"], [m.brokenLinks > 0, "broken links"],
     [d.draft, "draft"], [d.noindex, "noindex"]].forEach(function (pair) {
      if (pair[0]) box.appendChild(el("span", pair[1], "tag bad"));
    });
    return box;
  }

  function pageDetails(d) {
    const link = d.href ? siteLink(d.href) : null;
    const parts = [el("h2", d.title || d.url), link || el("p", d.url, "url"), tags(d),
                   pageMetrics(d.metrics)];
    parts.push(gapList("Suggested links from here", d.gapsOut, "target"));
    parts.push(gapList("Suggested links to here", d.gapsIn, "source"));
    parts.push(linkList("Linked from", d.inlinks, "No page links here."));
    parts.push(linkList("Links to", d.outlinks, "This page links to no other page."));
    return parts;
  }

  function conceptDetails(d) {
    const mentions = d.mentions.map(function (row) { return row[0]; });
    const where = isOverview ? " in this cluster" : "";
    return [el("h2", d.title), el("p", d.type, "tag"), el("p", d.iri, "url"),
            linkList("Pages about it" + where, d.about, "No page is about this concept."),
            linkList("Pages mentioning it" + where, mentions, "No page mentions it.")];
  }

  function clusterButton(number, text) {
    const button = el("button", text, "nodelink");
    button.type = "button";
    button.addEventListener("click", function () { openGroup(number); });
    return button;
  }

  function showGroupSummary(number) {
    const d = data.details["cluster:" + number];
    clear(panel);
    panel.appendChild(el("h2", d.title));
    panel.appendChild(el("p", "Topic cluster", "tag"));
    panel.appendChild(metricList([["Pages", d.pages], ["Links inside", d.links],
                                  ["Suggested links from its pages", d.gaps]]));
    panel.appendChild(el("h3", "Pages with the highest link score"));
    const top = el("ul");
    d.topPages.forEach(function (row) { const li = el("li"); li.appendChild(nodeLink(row[0], row[1])); top.appendChild(li); });
    panel.appendChild(top);
    panel.appendChild(el("h3", "Linked clusters (" + d.linkedClusters + ")"));
    const near = el("ul");
    d.neighbours.forEach(function (row) {
      const li = el("li");
      li.appendChild(clusterButton(row[0], data.details["cluster:" + row[0]].title));
      li.appendChild(document.createTextNode(" · " + row[1] + " links"));
      near.appendChild(li);
    });
    panel.appendChild(near);
  }

  function showDetails(id) {
    const d = graph.details[id];
    clear(panel);
    if (!d) return;
    const parts = d.kind === "page" ? pageDetails(d) : conceptDetails(d);
    parts.forEach(function (part) { panel.appendChild(part); });
  }

  /* ---- wiring ------------------------------------------------------------------------ */

  function reset() {
    document.getElementById("search").value = "";
    status.textContent = "";
    document.querySelectorAll("#controls input[type=checkbox]").forEach(function (box) {
      box.checked = box.defaultChecked;
    });
    state = defaultState();
    readFilters();
    if (isOverview) return showOverview().then(unselect);
    unselect();
    network.fit({ animation: false });
    return Promise.resolve(null);
  }

  function toggleNeighbourhood() {
    state.focus = state.focus === null ? selected : null;
    apply();
    network.fit({ nodes: nodes.getIds({ filter: function (n) { return !n.hidden; } }),
                  animation: false });
  }

  function wire() {
    document.getElementById("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const answer = search(document.getElementById("search").value);
      if (answer && answer.catch) answer.catch(function () {});
    });
    document.querySelectorAll("#controls input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", function () { readFilters(); apply(); });
    });
    neighbourButton.addEventListener("click", toggleNeighbourhood);
    document.getElementById("reset").addEventListener("click", reset);
    if (overviewButton) overviewButton.addEventListener("click", showOverview);
    network.on("click", function (params) {
      if (params.nodes.length) select(params.nodes[0], false);
      else if (!params.edges.length) unselect();
    });
  }

  function ready() {
    idle();
    window.linkgraphReady = true;
    if (data.focus && data.focus.length) goTo(data.focus[0]);
    if (isOverview) loadDirectory().catch(function () {});
  }

  window.linkgraph = {
    network: network,
    mode: function () { return data.mode; },
    group: function () { return graph.group; },
    openCluster: openGroup,
    overview: showOverview,
    selected: function () { return selected; },
    select: function (id) { return isOverview ? goTo(id) : select(id, true); },
    search: search,
    state: function () { return JSON.parse(JSON.stringify(state)); },
    isHidden: function (id) { const n = nodes.get(id); return !n || n.hidden === true; },
    edgeHidden: function (id) { const e = edges.get(id); return !e || e.hidden === true; },
    nodeIds: function (group) {
      return graph.nodes.filter(function (n) { return !group || n.nodeType === group; })
        .map(function (n) { return n.id; });
    },
    edgeIds: function (kind) {
      return graph.edges.filter(function (e) { return !kind || e.kind === kind; })
        .map(function (e) { return e.id; });
    },
    visibleNodeIds: function () {
      return nodes.getIds({ filter: function (n) { return n.hidden !== true; } });
    },
  };

  wire();
  showGraph(prepare(data, null)).then(ready);
})();
