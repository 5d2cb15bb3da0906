// The public GraphQL API at /graphql: the only thing the web app talks to.

const ENDPOINT = "/graphql";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export async function graphql(query, variables) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`The server did not answer (${error.message}).`, "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} without a GraphQL body.`, "HTTP");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    throw new ApiError(body.errors.map((e) => e.message).join("; "), first.extensions && first.extensions.code);
  }
  return body.data;
}

const SEARCH = `query Search($search: String!) {
  findings(search: $search, first: 10) { totalCount edges { matched node { id label synonyms } } }
}`;

export async function searchFindings(text) {
  const data = await graphql(SEARCH, { search: text });
  return data.findings;
}

const EVIDENCE = "finding { id label } status frequency likelihoodRatio relation source matchedFinding { id label }";

const DIAGNOSE = `query Diagnose($input: DiagnoseInput!) {
  diagnose(input: $input) {
    recommendation explanation disclaimer totalCandidates otherCausesProbability patient { setting }
    findings { finding { id label } status }
    warnings { code message id }
    coverage { curated modules note }
    triage {
      level
      reasons { label level source rationale findings { id label } }
      unansweredQuestions { id label }
    }
    candidates {
      rank probability prior priorIsDefault
      disease { id label causeCategory }
      supporting { ${EVIDENCE} }
      opposing { ${EVIDENCE} }
    }
    nextQuestions { finding { id label } expectedInformationGain rationale redFlag step { id label } }
    nextSteps { step { id label kind isTest } rationale expectedInformationGain gainPerCost worthCost }
  }
}`;

export async function diagnose(findings, patient, limit = 10) {
  const input = { findings: findings.map(({ id, status }) => ({ id, status })), limit };
  if (patient && (patient.ageYears !== null || patient.sex || patient.setting)) {
    input.patient = {};
    if (patient.ageYears !== null) input.patient.ageYears = patient.ageYears;
    if (patient.sex) input.patient.sex = patient.sex;
    if (patient.setting) input.patient.setting = patient.setting;
  }
  const data = await graphql(DIAGNOSE, { input });
  return data.diagnose;
}
