// GraphiQL for /graphql, from the copies of GraphiQL and React that the server itself serves (/static/vendor,
// copied from their npm packages by .ci/vendor.sh): it works without internet. The query, variables and headers
// are kept in the URL (?query=...&variables=...) so that a link reopens them.

const EXAMPLE = `# dxkb: what could be causing these findings, and what should be checked next?
# Decision support, not a diagnosis.
# Run: Ctrl+Enter. Complete: Ctrl+Space.
query Diagnose {
  diagnose(input: {findings: [
    {id: "HP:0000988", status: PRESENT}, {id: "HP:0012378", status: PRESENT}]}) {
    triage { level reasons { label source } }
    recommendation
    candidates { rank probability disease { id label } }
    nextQuestions { finding { id label } rationale }
    nextSteps { step { label } rationale }
    disclaimer
  }
}
`;

function start() {
  const root = document.getElementById("graphiql");
  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.className = "missing";
    root.textContent = "GraphiQL's files are missing from this installation (static/vendor): run .ci/vendor.sh " +
      "after npm ci, or send GraphQL requests to this URL with any client.";
    return;
  }
  const parameters = new URLSearchParams(location.search);
  const endpoint = location.pathname;
  const fetcher = GraphiQL.createFetcher({ url: endpoint });

  function update(name, value) {
    if (value) parameters.set(name, value);
    else parameters.delete(name);
    history.replaceState(null, "", `${endpoint}?${parameters}`);
  }

  root.textContent = "";
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: EXAMPLE,
    query: parameters.get("query") || undefined,
    variables: parameters.get("variables") || undefined,
    onEditQuery: (value) => update("query", value),
    onEditVariables: (value) => update("variables", value),
    defaultEditorToolsVisibility: true,
    inputValueDeprecation: true,
    isHeadersEditorEnabled: true,
  }));
}

start();
