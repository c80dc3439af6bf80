// The /query page: pick a named query or write one, run it, show the answer as a table.
// Every value from the server goes into the page through textContent, never as markup.
"use strict";

const TOKEN_KEY = "linkgraph-token";
const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1";
const named = new Map(); // name -> {name, title, description, params, text}

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

function setStatus(text, isError) {
  const status = byId("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

async function call(path, options) {
  const headers = new Headers((options && options.headers) || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.set("Authorization", "Bearer " + token);
  return fetch(path, Object.assign({}, options, { headers }));
}

async function loadNamedQueries() {
  const response = await call("queries", { headers: { Accept: "application/json" } });
  if (!response.ok) {
    setStatus("Could not list the named queries (" + response.status + ").", true);
    return;
  }
  const select = byId("named");
  select.replaceChildren(select.options[0]);
  named.clear();
  for (const query of await response.json()) {
    named.set(query.name, query);
    const option = el("option", query.title + " (" + query.name + ")");
    option.value = query.name;
    select.append(option);
  }
}

function chooseNamed() {
  const query = named.get(byId("named").value);
  const params = byId("params");
  params.replaceChildren();
  byId("description").textContent = query ? query.description : "";
  if (!query) return;
  byId("query").value = query.text;
  for (const param of query.params) {
    const row = el("div");
    row.className = "param";
    const label = el("label", param.name + " (" + param.type + (param.optional ? ", optional" : "") + ")");
    const input = el("input");
    input.id = "param-" + param.name;
    input.name = param.name;
    input.placeholder = param.description;
    input.required = !param.optional;
    label.htmlFor = input.id;
    row.append(label, input);
    params.append(row);
  }
}

function request() {
  const text = byId("query").value;
  const query = named.get(byId("named").value);
  if (query && query.text === text) {
    const search = new URLSearchParams();
    for (const input of byId("params").querySelectorAll("input")) {
      if (input.value.trim() !== "") search.append(input.name, input.value.trim());
    }
    const suffix = search.toString() ? "?" + search.toString() : "";
    return call("queries/" + encodeURIComponent(query.name) + suffix, { headers: { Accept: ACCEPT } });
  }
  return call("sparql", {
    method: "POST",
    headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ query: text }),
  });
}

function cell(term) {
  const td = el("td");
  if (!term) return td;
  if (term.type === "uri" && /^https?:\/\//i.test(term.value)) {
    const link = el("a", term.value);
    link.href = term.value;
    link.rel = "noopener noreferrer";
    td.append(link);
  } else {
    td.textContent = term.type === "bnode" ? "_:" + term.value : String(term.value);
  }
  return td;
}

function table(data) {
  const vars = data.head.vars || [];
  const head = el("tr");
  for (const name of vars) head.append(el("th", name));
  const body = el("tbody");
  for (const binding of data.results.bindings) {
    const row = el("tr");
    for (const name of vars) row.append(cell(binding[name]));
    body.append(row);
  }
  const thead = el("thead");
  thead.append(head);
  const result = el("table");
  result.append(thead, body);
  return result;
}

async function show(response) {
  const results = byId("results");
  const type = response.headers.get("Content-Type") || "";
  if (type.startsWith("application/sparql-results+json")) {
    const data = await response.json();
    if (typeof data.boolean === "boolean") {
      results.replaceChildren(el("p", "ASK: " + data.boolean));
      return "done";
    }
    results.replaceChildren(table(data));
    return data.results.bindings.length + " row(s)";
  }
  results.replaceChildren(el("pre", await response.text()));
  return "done";
}

async function run(event) {
  if (event) event.preventDefault();
  setStatus("Running…");
  const started = performance.now();
  try {
    const response = await request();
    if (!response.ok) {
      byId("results").replaceChildren();
      setStatus("Error " + response.status + ": " + (await response.text()).trim(), true);
      return;
    }
    const summary = await show(response);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const cut = response.headers.get("Linkgraph-Truncated") ? ", cut at the row limit" : "";
    const cached = response.headers.get("Linkgraph-Cache") === "hit" ? ", from cache" : "";
    setStatus(summary + " in " + seconds + " s" + cut + cached + ".");
  } catch (error) {
    setStatus("Request failed: " + error.message, true);
  }
}

function start() {
  const token = byId("token");
  token.value = sessionStorage.getItem(TOKEN_KEY) || "";
  token.addEventListener("change", () => {
    if (token.value) sessionStorage.setItem(TOKEN_KEY, token.value);
    else sessionStorage.removeItem(TOKEN_KEY);
    loadNamedQueries();
  });
  byId("named").addEventListener("change", chooseNamed);
  byId("editor").addEventListener("submit", run);
  byId("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run(event);
  });
  loadNamedQueries();
}

document.addEventListener("DOMContentLoaded", start);
