/* linkgraph explorer. Data strings are only ever written with textContent or as attribute
   values set through the DOM; no node has a vis `title`, since vis renders those as HTML. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("data").textContent);
  const details = data.details;
  const nodes = new vis.DataSet(data.nodes);
  const edges = new vis.DataSet(data.edges.map(layoutEdge));
  const byNode = indexEdges(data.edges);
  const searchIndex = buildSearchIndex();
  const panel = document.getElementById("panel");
  const neighbourButton = document.getElementById("neighbourhood");
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
      interaction: { hover: true, tooltipDelay: 300, hideEdgesOnDrag: data.nodes.length > 1500 },
      physics: data.physics ? {
        enabled: true,
        solver: "barnesHut",
        barnesHut: { gravitationalConstant: -4000, springLength: 120, avoidOverlap: 0.2 },
        stabilization: { enabled: true, iterations: 300, updateInterval: 50, fit: true },
      } : false,
    };
  }

  /* During layout every edge but navigation pulls, so concepts that are only mentioned still
     settle next to their pages; the user's filters apply once the layout is done. */
  function layoutEdge(edge) {
    return Object.assign({}, edge, { hidden: edge.kind === "nav" });
  }

  function defaultState() {
    const edgeKinds = {};
    document.querySelectorAll("input[data-edge]").forEach(function (box) {
      edgeKinds[box.dataset.edge] = box.defaultChecked;
    });
    return { groups: { page: true, concept: true }, ctypes: {}, edgeKinds: edgeKinds,
             onlyGaps: false, focus: null };
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

  /* ---- filtering --------------------------------------------------------------------- */

  function nodeAllowed(node) {
    if (!state.groups[node.nodeType]) return false;
    return node.nodeType !== "concept" || state.ctypes[node.ctype] !== false;
  }

  function edgeAllowed(edge) {
    return state.onlyGaps ? edge.kind === "gap" : state.edgeKinds[edge.kind] === true;
  }

  function visibleNodeSet() {
    const visible = new Set(data.nodes.filter(nodeAllowed).map(function (n) { return n.id; }));
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
    data.edges.forEach(function (e) { if (e.kind === "gap") { ends.add(e.from); ends.add(e.to); } });
    return ends;
  }

  function neighbourhood(id, allowed) {
    const near = new Set([id]);
    (byNode.get(id) || []).forEach(function (edge) {
      const other = edge.from === id ? edge.to : edge.from;
      if (edgeAllowed(edge) && allowed.has(other)) near.add(other);
    });
    return near;
  }

  /* A concept is only shown with at least one visible edge (or when it is the one selected). */
  function dropLoneConcepts(visible, shownEdges) {
    const linked = new Set([selected, state.focus]);
    shownEdges.forEach(function (e) { linked.add(e.from); linked.add(e.to); });
    data.nodes.forEach(function (n) {
      if (n.nodeType === "concept" && !linked.has(n.id)) visible.delete(n.id);
    });
  }

  function apply() {
    const visible = visibleNodeSet();
    const shownEdges = data.edges.filter(function (e) {
      return edgeAllowed(e) && visible.has(e.from) && visible.has(e.to);
    });
    dropLoneConcepts(visible, shownEdges);
    const shown = new Set(shownEdges.map(function (e) { return e.id; }));
    nodes.update(data.nodes.map(function (n) { return { id: n.id, hidden: !visible.has(n.id) }; }));
    edges.update(data.edges.map(function (e) { return { id: e.id, hidden: !shown.has(e.id) }; }));
    neighbourButton.textContent = state.focus !== null ? "Whole graph" : "Neighbourhood";
    neighbourButton.disabled = state.focus === null && selected === null;
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

  /* ---- selection and search ---------------------------------------------------------- */

  function buildSearchIndex() {
    const list = document.getElementById("search-list");
    const index = data.nodes.map(function (n) {
      const d = details[n.id] || {};
      const option = document.createElement("option");
      option.value = d.title || n.label;
      list.appendChild(option);
      return { id: n.id, keys: [d.title || n.label, d.url || "", d.iri || ""].map(fold) };
    });
    return index;
  }

  function fold(text) { return String(text || "").trim().toLowerCase(); }

  function find(query) {
    const q = fold(query);
    if (!q) return null;
    const tests = [
      function (k) { return k === q; },
      function (k) { return k.startsWith(q); },
      function (k) { return k.includes(q); },
    ];
    for (const test of tests) {
      const hit = searchIndex.find(function (entry) { return entry.keys.some(test); });
      if (hit) return hit.id;
    }
    return null;
  }

  function search(query) {
    const id = find(query);
    const status = document.getElementById("search-status");
    status.textContent = id === null ? "Nothing matches “" + query + "”." : "";
    if (id !== null) select(id, true);
    return id;
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
    panel.appendChild(el("p", "Click a node, or find one by name, to see its details here.", "hint"));
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

  function nodeLink(id) {
    const d = details[id];
    const button = el("button", d ? d.title || id : id, "nodelink");
    button.type = "button";
    button.addEventListener("click", function () { select(id, true); });
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
    return [el("h2", d.title), el("p", d.type, "tag"), el("p", d.iri, "url"),
            linkList("Pages about it", d.about, "No page is about this concept."),
            linkList("Pages mentioning it", mentions, "No page mentions it.")];
  }

  function showDetails(id) {
    const d = details[id];
    clear(panel);
    if (!d) return;
    const parts = d.kind === "page" ? pageDetails(d) : conceptDetails(d);
    parts.forEach(function (part) { panel.appendChild(part); });
  }

  /* ---- wiring ------------------------------------------------------------------------ */

  function reset() {
    document.getElementById("search").value = "";
    document.getElementById("search-status").textContent = "";
    document.querySelectorAll("#controls input[type=checkbox]").forEach(function (box) {
      box.checked = box.defaultChecked;
    });
    state = defaultState();
    readFilters();
    unselect();
    network.fit({ animation: false });
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
      search(document.getElementById("search").value);
    });
    document.querySelectorAll("#controls input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", function () { readFilters(); apply(); });
    });
    neighbourButton.addEventListener("click", toggleNeighbourhood);
    document.getElementById("reset").addEventListener("click", reset);
    network.on("click", function (params) {
      if (params.nodes.length) select(params.nodes[0], false);
      else if (!params.edges.length) unselect();
    });
  }

  function ready() {
    if (window.linkgraphReady === true) return;
    network.setOptions({ physics: false });
    readFilters();
    apply();
    network.fit({ animation: false });
    document.getElementById("loading").hidden = true;
    window.linkgraphReady = true;
  }

  window.linkgraph = {
    network: network,
    selected: function () { return selected; },
    select: function (id) { return select(id, true); },
    search: search,
    state: function () { return JSON.parse(JSON.stringify(state)); },
    isHidden: function (id) { const n = nodes.get(id); return !n || n.hidden === true; },
    edgeHidden: function (id) { const e = edges.get(id); return !e || e.hidden === true; },
    nodeIds: function (group) {
      return data.nodes.filter(function (n) { return !group || n.nodeType === group; })
        .map(function (n) { return n.id; });
    },
    edgeIds: function (kind) {
      return data.edges.filter(function (e) { return !kind || e.kind === kind; })
        .map(function (e) { return e.id; });
    },
    visibleNodeIds: function () {
      return nodes.getIds({ filter: function (n) { return n.hidden !== true; } });
    },
  };

  wire();
  if (data.physics && data.nodes.length) network.once("stabilizationIterationsDone", ready);
  else ready();
})();
