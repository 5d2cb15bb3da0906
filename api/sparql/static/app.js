// The dxkb query page: an editor, the example queries, a result table and downloads. No dependencies, no CDN:
// it talks only to this server's /sparql and /sparql/examples.
"use strict";

(function () {
  const ENDPOINT = "/sparql";
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
  const EXTENSIONS = { json: "srj", xml: "srx", csv: "csv", tsv: "tsv", turtle: "ttl", ntriples: "nt",
                       jsonld: "jsonld", rdfxml: "rdf" };
  const STARTER_PREFIXES = ["rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "oboInOwl", "IAO", "dxkb", "DXKB",
                            "HP", "MONDO"];
  const STARTER_QUERY = "# Diseases and how many findings each is annotated with\n" +
    "SELECT ?disease ?label (COUNT(?association) AS ?findings) WHERE {\n" +
    "  ?association a dxkb:DiseaseFindingAssociation ; dxkb:disease ?disease .\n" +
    "  OPTIONAL { ?disease rdfs:label ?label }\n" +
    "}\nGROUP BY ?disease ?label\nORDER BY DESC(?findings) ?disease\nLIMIT 100\n";

  const $ = (id) => document.getElementById(id);
  const editor = $("query");
  const status = $("status");
  const table = $("results");
  const graph = $("graph");
  let prefixes = {};
  let running = null;

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = kind || "";
  }

  function prefixBlock(names) {
    return names.filter((name) => prefixes[name])
      .map((name) => `PREFIX ${name}: <${prefixes[name]}>`).join("\n") + "\n";
  }

  function shorten(iri) {
    let best = null;
    for (const [prefix, namespace] of Object.entries(prefixes)) {
      if (iri.startsWith(namespace) && (!best || namespace.length > best[1].length)) best = [prefix, namespace];
    }
    return best ? `${best[0]}:${iri.slice(best[1].length)}` : iri;
  }

  function termCell(term) {
    const cell = document.createElement("td");
    if (!term) return cell;
    if (term.type === "uri") {
      const link = document.createElement("a");
      link.href = `${ENDPOINT}?format=turtle&query=${encodeURIComponent(`DESCRIBE <${term.value}>`)}`;
      link.textContent = shorten(term.value);
      link.title = `${term.value} (click: DESCRIBE as Turtle)`;
      link.target = "_blank";
      link.rel = "noopener";
      cell.appendChild(link);
    } else if (term.type === "bnode") {
      cell.textContent = `_:${term.value}`;
    } else if (term.type === "triple") {
      const v = term.value;
      cell.textContent = `<< ${[v.subject, v.predicate, v.object].map((t) => t.value).join(" ")} >>`;
    } else {
      cell.className = "literal";
      cell.textContent = term.value;
      if (term["xml:lang"]) cell.title = `@${term["xml:lang"]}`;
      else if (term.datatype) cell.title = shorten(term.datatype);
    }
    return cell;
  }

  function clearOutput() {
    table.hidden = true;
    graph.hidden = true;
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
    graph.textContent = "";
  }

  function enableDownloads(family) {
    for (const button of document.querySelectorAll("button.download")) {
      button.disabled = family !== null && button.dataset.family !== family;
    }
  }

  function showTable(doc, millis) {
    const vars = doc.head.vars || [];
    const head = document.createElement("tr");
    for (const name of vars) {
      const th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    }
    table.tHead.appendChild(head);
    const body = document.createDocumentFragment();
    for (const binding of doc.results.bindings) {
      const row = document.createElement("tr");
      for (const name of vars) row.appendChild(termCell(binding[name]));
      body.appendChild(row);
    }
    table.tBodies[0].appendChild(body);
    table.hidden = false;
    const count = doc.results.bindings.length;
    const note = doc.dxkb || {};
    if (note.truncated) {
      setStatus(`${count} rows shown in ${millis} ms - the result was cut at the endpoint's limit of ` +
                `${note.limit} rows; narrow the query or page through it with LIMIT/OFFSET.`, "warning");
    } else {
      setStatus(`${count} row${count === 1 ? "" : "s"} in ${millis} ms`);
    }
  }

  async function run() {
    if (running) running.abort();
    const controller = new AbortController();
    running = controller;
    clearOutput();
    setStatus("Running…");
    const started = performance.now();
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: "POST", signal: controller.signal,
        headers: { "Content-Type": "application/sparql-query", Accept: ACCEPT },
        body: editor.value,
      });
    } catch (error) {
      if (error.name !== "AbortError") setStatus(`The server could not be reached: ${error.message}`, "error");
      return;
    }
    const text = await response.text();
    if (running !== controller) return;
    running = null;
    const millis = Math.round(performance.now() - started);
    if (!response.ok) {
      setStatus(`Error ${response.status}: ${text}`, "error");
      enableDownloads(null);
      return;
    }
    const type = (response.headers.get("Content-Type") || "").split(";")[0];
    if (type === "application/sparql-results+json") {
      const doc = JSON.parse(text);
      enableDownloads("results");
      if (typeof doc.boolean === "boolean") {
        setStatus(`ASK: ${doc.boolean} (${millis} ms)`);
      } else {
        showTable(doc, millis);
      }
    } else {
      enableDownloads("graph");
      graph.textContent = text;
      graph.hidden = false;
      const truncated = response.headers.get("X-DXKB-Truncated") === "true";
      const rows = response.headers.get("X-DXKB-Rows");
      setStatus(`Graph of ${rows || "?"} triples in ${millis} ms${truncated ? " - cut at the endpoint's limit" : ""}`,
                truncated ? "warning" : "");
    }
  }

  async function download(format) {
    const body = new URLSearchParams({ query: editor.value, format: format });
    let response;
    try {
      response = await fetch(ENDPOINT, { method: "POST", body: body });
    } catch (error) {
      setStatus(`The server could not be reached: ${error.message}`, "error");
      return;
    }
    if (!response.ok) {
      setStatus(`Error ${response.status}: ${await response.text()}`, "error");
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = `dxkb-result.${EXTENSIONS[format] || format}`;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function showExamples(examples) {
    const list = $("examples");
    list.replaceChildren();
    for (const example of examples) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "example";
      button.dataset.name = example.name;
      button.setAttribute("aria-pressed", "false");
      const title = document.createElement("strong");
      title.textContent = example.title;
      const purpose = document.createElement("span");
      purpose.textContent = example.purpose;
      button.title = example.purpose;
      button.append(title, purpose);
      button.addEventListener("click", () => {
        for (const other of list.querySelectorAll("button.example")) other.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", "true");
        editor.value = example.query;
        const description = $("example-description");
        description.textContent = [`${example.title}: ${example.purpose}`,
                                   example.parameters && `Parameters: ${example.parameters}`,
                                   example.columns && `Result columns: ${example.columns}`]
          .filter(Boolean).join("\n");
        description.hidden = !description.textContent;
        clearOutput();
        setStatus("");
        editor.focus();
        editor.setSelectionRange(0, 0);
        editor.scrollTop = 0;
      });
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  async function init() {
    $("run").addEventListener("click", run);
    editor.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
    for (const button of document.querySelectorAll("button.download")) {
      button.addEventListener("click", () => download(button.dataset.format));
    }
    try {
      const response = await fetch(`${ENDPOINT}/examples`, { headers: { Accept: "application/json" } });
      const data = await response.json();
      prefixes = data.prefixes || {};
      showExamples(data.examples || []);
    } catch (error) {
      $("examples").replaceChildren();
      setStatus(`The example queries could not be loaded: ${error.message}`, "error");
    }
    if (!editor.value) editor.value = prefixBlock(STARTER_PREFIXES) + "\n" + STARTER_QUERY;
    document.body.dataset.ready = "true";
  }

  init();
})();
