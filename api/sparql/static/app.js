// The dxkb query page: YASGUI's editor (Yasqe: syntax highlighting, completion of this knowledge base's prefixes,
// classes and properties) and result view (Yasr: tables with paging), the example queries and downloads. No CDN:
// YASGUI is served by this server (/static/vendor/yasgui, from the npm package @zazuko/yasgui), and the page talks
// only to this server's /sparql, /sparql/void and /sparql/examples. Without YASGUI's files it falls back to a
// plain textarea and table.
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
  const status = $("status");
  const results = $("results");
  const graph = $("graph");
  const VOID_CLASS = "http://rdfs.org/ns/void#class";
  const VOID_PROPERTY = "http://rdfs.org/ns/void#property";
  const yasgui = window.Yasgui && window.Yasgui.Yasqe && window.Yasgui.Yasr ? window.Yasgui : null;
  let prefixes = {};
  let vocabulary = null; // {classes: [...], properties: [...]} from the VoID statistics, loaded once
  let running = null;
  let editor = null;
  let yasr = null;
  let table = null; // the plain table of the fallback

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

  // ------------------------------------------------------------------ the editor

  /** The vocabulary of this knowledge base for completion: the classes and properties in use (the VoID
   * statistics, cached by the server) and those the dxkb ontology declares. */
  const VOCABULARY_QUERY = "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n" +
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" +
    "SELECT DISTINCT ?term ?type WHERE {\n" +
    "  VALUES ?type { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty rdf:Property }\n" +
    "  ?term a ?type . FILTER(isIRI(?term) && STRSTARTS(STR(?term), \"https://w3id.org/dxkb/vocab#\"))\n}";

  function loadVocabulary() {
    if (vocabulary) return vocabulary;
    const classes = new Set();
    const properties = new Set();
    const fromVoid = fetch(`${ENDPOINT}/void`, { headers: { Accept: "application/n-triples" } })
      .then((response) => (response.ok ? response.text() : ""))
      .then((text) => {
        for (const line of text.split("\n")) {
          const match = line.match(/^\S+ <([^>]+)> <([^>]+)> \.$/);
          if (match && match[1] === VOID_CLASS) classes.add(match[2]);
          if (match && match[1] === VOID_PROPERTY) properties.add(match[2]);
        }
      });
    const declared = fetch(ENDPOINT, {
      method: "POST", body: VOCABULARY_QUERY,
      headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    }).then((response) => (response.ok ? response.json() : { results: { bindings: [] } }))
      .then((doc) => {
        for (const row of doc.results.bindings) {
          (row.type.value.endsWith("#Class") ? classes : properties).add(row.term.value);
        }
      });
    vocabulary = Promise.allSettled([fromVoid, declared])
      .then(() => ({ classes: [...classes].sort(), properties: [...properties].sort() }));
    return vocabulary;
  }

  function registerCompleters(Yasqe) {
    // Forks of YASGUI's own completers (same positions and prefix handling) that complete from this knowledge
    // base instead of the public LOV and prefix.cc services: nothing leaves this server.
    Yasqe.forkAutocompleter("prefixes", {
      name: "dxkbPrefixes", persistenceId: undefined, bulk: true,
      get: () => Object.entries(prefixes).map(([name, iri]) => `${name}: <${iri}>`).sort(),
    }, false);
    Yasqe.forkAutocompleter("class", {
      name: "dxkbClasses", persistenceId: undefined, bulk: true, get: () => loadVocabulary().then((v) => v.classes),
    }, false);
    Yasqe.forkAutocompleter("property", {
      name: "dxkbProperties", persistenceId: undefined, bulk: true,
      get: () => loadVocabulary().then((v) => v.properties),
    }, false);
  }

  function makeEditor() {
    const textarea = $("query");
    if (!yasgui) {
      $("editor").hidden = true;
      return { get: () => textarea.value, set: (value) => { textarea.value = value; },
               focus: () => { textarea.focus(); textarea.setSelectionRange(0, 0); textarea.scrollTop = 0; } };
    }
    const Yasqe = yasgui.Yasqe;
    registerCompleters(Yasqe);
    textarea.hidden = true;
    const yasqe = new Yasqe($("editor"), {
      value: "", persistenceId: null, showQueryButton: false, resizeable: true, editorHeight: "340px",
      autocompleters: ["dxkbPrefixes", "variables", "dxkbClasses", "dxkbProperties"],
      requestConfig: { endpoint: ENDPOINT, method: "POST" },
      extraKeys: { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() },
    });
    yasqe.on("change", () => { textarea.value = yasqe.getValue(); }); // the textarea holds the query for forms
    return {
      yasqe,
      get: () => yasqe.getValue(),
      set: (value) => { yasqe.setValue(value); textarea.value = value; },
      focus: () => { yasqe.focus(); yasqe.setCursor({ line: 0, ch: 0 }); yasqe.scrollTo(0, 0); },
    };
  }

  // ------------------------------------------------------------------ results

  /** The prefixes with the longest namespace first: Yasr shortens an IRI with the first namespace it starts with
   * (MONDO:0005059, not obo:MONDO_0005059). */
  function longestFirst() {
    const entries = Object.entries(prefixes);
    entries.sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
    return Object.fromEntries(entries);
  }

  function makeResults() {
    if (yasgui) {
      yasr = new yasgui.Yasr(results, {
        persistenceId: null, prefixes: longestFirst, defaultPlugin: "table", pluginOrder: ["table", "response"],
        // compact: CURIEs and plain values without datatypes (as the endpoint's CSV); 50 rows a page
        plugins: { table: { dynamicConfig: { compact: true, isEllipsed: false, pageSize: 50 } } },
      });
    } else {
      table = document.createElement("table");
      table.append(document.createElement("thead"), document.createElement("tbody"));
      results.appendChild(table);
    }
  }

  function clearOutput() {
    results.hidden = true;
    graph.hidden = true;
    if (table) {
      table.tHead.replaceChildren();
      table.tBodies[0].replaceChildren();
    }
    graph.textContent = "";
  }

  function enableDownloads(family) {
    for (const button of document.querySelectorAll("button.download")) {
      button.disabled = family !== null && button.dataset.family !== family;
    }
  }

  function showTable(doc, text, millis) {
    if (yasr) {
      results.hidden = false;
      yasr.setResponse({ data: text, contentType: "application/sparql-results+json", status: 200,
                         executionTime: millis });
    } else {
      fillTable(doc);
    }
    const count = doc.results.bindings.length;
    const note = doc.dxkb || {};
    if (note.truncated) {
      setStatus(`${count} rows shown in ${millis} ms - the result was cut at the endpoint's limit of ` +
                `${note.limit} rows; narrow the query or page through it with LIMIT/OFFSET.`, "warning");
    } else {
      setStatus(`${count} row${count === 1 ? "" : "s"} in ${millis} ms`);
    }
  }

  function fillTable(doc) {
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
    results.hidden = false;
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
        body: editor.get(),
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
        showTable(doc, text, millis);
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
    const body = new URLSearchParams({ query: editor.get(), format: format });
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
        editor.set(example.query);
        const description = $("example-description");
        description.textContent = [`${example.title}: ${example.purpose}`,
                                   example.parameters && `Parameters: ${example.parameters}`,
                                   example.columns && `Result columns: ${example.columns}`]
          .filter(Boolean).join("\n");
        description.hidden = !description.textContent;
        clearOutput();
        setStatus("");
        editor.focus();
      });
      item.appendChild(button);
      list.appendChild(item);
    }
  }

  async function init() {
    let examples = [];
    try { // first: the editor's prefix completion starts from these prefixes
      const response = await fetch(`${ENDPOINT}/examples`, { headers: { Accept: "application/json" } });
      const data = await response.json();
      prefixes = data.prefixes || {};
      examples = data.examples || [];
    } catch (error) {
      setStatus(`The example queries could not be loaded: ${error.message}`, "error");
    }
    editor = makeEditor();
    makeResults();
    showExamples(examples);
    $("run").addEventListener("click", run);
    $("query").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      }
    });
    for (const button of document.querySelectorAll("button.download")) {
      button.addEventListener("click", () => download(button.dataset.format));
    }
    if (!editor.get()) editor.set(prefixBlock(STARTER_PREFIXES) + "\n" + STARTER_QUERY);
    document.body.dataset.editor = yasgui ? "yasgui" : "plain";
    document.body.dataset.ready = "true";
  }

  init();
})();
