// The clinician web app: enter a case, read the triage, the ranked causes with their evidence, and answer the
// next questions one click at a time. Everything comes from the public GraphQL API (api.js).

import { ApiError, diagnose, graphql, searchFindings } from "./api.js";
import { Case } from "./case.js";

const $ = (selector) => document.querySelector(selector);

const TRIAGE = {
  EMERGENCY: "Emergency: act now",
  URGENT: "Urgent: see a doctor today",
  ROUTINE: "Routine: see a doctor",
  SELF_CARE: "Self care: watchful waiting",
};
const RECOMMENDATION = {
  EMERGENCY_CARE: "Emergency care",
  FURTHER_TESTING: "Further testing",
  SEE_A_DOCTOR: "See a doctor",
  ANSWER_QUESTIONS: "Answer the red-flag questions first",
  WATCHFUL_WAITING: "Watchful waiting",
};
const MAX_QUESTIONS = 6; // the best few: each answer asks the server for the next ones
const STATUS_TEXT = { PRESENT: "present", ABSENT: "absent", UNKNOWN: "unknown" };

let current = Case.fromSearch(location.search);
let revision = 0; // the answer of an older request is dropped when a newer one was sent

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function percent(p) {
  if (p >= 0.1) return `${(p * 100).toFixed(0)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return "<0.1%";
}

function ratio(lr) {
  if (lr >= 100) return lr.toFixed(0);
  if (lr >= 10) return lr.toFixed(1);
  return lr >= 1 ? lr.toFixed(2) : lr.toPrecision(2);
}

/** Sources are URLs or citations; URLs (also inside a citation) become links. */
function sourceNode(source) {
  if (!source) return null;
  const span = element("span", { class: "source" });
  const parts = source.split(/(https?:\/\/[^\s"')<>]+)/);
  for (const part of parts) {
    if (/^https?:\/\//.test(part)) {
      span.append(element("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: shortUrl(part) }));
    } else if (part) {
      span.append(part);
    }
  }
  return span;
}

function shortUrl(url) {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}${u.hash}`.replace(/\/$/, "");
  } catch {
    return url;
  }
}

// ------------------------------------------------------------------------------------------------ the case

function renderCase() {
  const list = $("#findings");
  list.replaceChildren();
  const template = $("#finding-row");
  for (const f of current.findings) {
    const row = template.content.firstElementChild.cloneNode(true);
    row.dataset.id = f.id;
    row.dataset.status = f.status;
    const label = f.label || f.id;
    row.querySelector(".finding-label").textContent = label;
    row.querySelector(".finding-id").textContent = f.id;
    row.querySelector("legend").textContent = `Status of ${label}`;
    for (const radio of row.querySelectorAll("input[type=radio]")) {
      radio.name = `status-${f.id}`;
      radio.checked = radio.value === f.status;
      radio.addEventListener("change", () => {
        current.set(f.id, radio.value);
        update();
      });
    }
    const remove = row.querySelector(".remove");
    remove.setAttribute("aria-label", `Remove ${label}`);
    remove.addEventListener("click", () => {
      current.remove(f.id);
      update();
      $("#finding-search").focus();
    });
    list.append(row);
  }
  $("#no-findings").hidden = current.findings.length > 0;
  $("#age").value = current.ageYears === null ? "" : String(current.ageYears);
  $("#sex").value = current.sex;
  $("#setting").value = current.setting;
}

function saveUrl() {
  const url = `${location.pathname}${current.toSearch()}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
}

function update() {
  saveUrl();
  renderCase();
  run();
}

// ------------------------------------------------------------------------------------------------ search

let suggestions = [];
let active = -1;
let searchTimer = null;
let searchRevision = 0;

function closeSuggestions() {
  const box = $("#suggestions");
  box.hidden = true;
  box.replaceChildren();
  suggestions = [];
  active = -1;
  const input = $("#finding-search");
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

function renderSuggestions(connection, text) {
  const box = $("#suggestions");
  box.replaceChildren();
  suggestions = connection.edges.map((e) => ({ ...e.node, matched: e.matched }));
  active = suggestions.length ? 0 : -1;
  if (!suggestions.length) {
    box.append(element("li", { class: "empty", role: "option", "aria-disabled": "true",
                                text: `No finding matches “${text}”.` }));
  }
  suggestions.forEach((s, index) => {
    // the label or synonym that matched (the server gives it lower-cased): shown as written when it is a synonym
    const matched = (s.matched || "").toLowerCase();
    const synonym = matched && matched !== s.label.toLowerCase()
      ? s.synonyms.find((name) => name.toLowerCase() === matched) || s.matched : null;
    const added = current.get(s.id);
    const option = element("li", { id: `suggestion-${index}`, role: "option", class: "suggestion",
                                   "data-id": s.id, "aria-selected": index === active ? "true" : "false" },
      element("span", { class: "suggestion-label", text: s.label }),
      synonym ? element("span", { class: "suggestion-synonym", text: ` (${synonym})` }) : null,
      element("code", { text: s.id }),
      added ? element("span", { class: "suggestion-added", text: ` already ${STATUS_TEXT[added.status]}` }) : null);
    option.addEventListener("mousedown", (event) => {
      event.preventDefault(); // keep the focus in the input
      choose(index, "PRESENT");
    });
    box.append(option);
  });
  box.hidden = false;
  $("#finding-search").setAttribute("aria-expanded", "true");
  highlight();
}

function highlight() {
  const input = $("#finding-search");
  document.querySelectorAll("#suggestions .suggestion").forEach((node, index) => {
    node.setAttribute("aria-selected", index === active ? "true" : "false");
    if (index === active) node.scrollIntoView({ block: "nearest" });
  });
  if (active >= 0) input.setAttribute("aria-activedescendant", `suggestion-${active}`);
  else input.removeAttribute("aria-activedescendant");
}

function choose(index, status) {
  const s = suggestions[index];
  if (!s) return;
  current.set(s.id, status, s.label);
  const input = $("#finding-search");
  input.value = "";
  closeSuggestions();
  update();
  input.focus();
}

async function search(text) {
  const mine = ++searchRevision;
  try {
    const connection = await searchFindings(text);
    if (mine === searchRevision && $("#finding-search").value.trim() === text) renderSuggestions(connection, text);
  } catch (error) {
    if (mine === searchRevision) showError(error);
  }
}

function setUpSearch() {
  const input = $("#finding-search");
  input.addEventListener("input", () => {
    clearTimeout(searchTimer);
    const text = input.value.trim();
    if (!text) {
      searchRevision++;
      closeSuggestions();
      return;
    }
    searchTimer = setTimeout(() => search(text), 120);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && suggestions.length) {
      active = (active + 1) % suggestions.length;
      highlight();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && suggestions.length) {
      active = (active - 1 + suggestions.length) % suggestions.length;
      highlight();
      event.preventDefault();
    } else if (event.key === "Enter" && active >= 0) {
      choose(active, event.altKey ? "ABSENT" : "PRESENT");
      event.preventDefault();
    } else if (event.key === "Escape") {
      closeSuggestions();
    }
  });
  input.addEventListener("blur", () => setTimeout(closeSuggestions, 150));
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, select, textarea");
    if (event.key === "/" && !typing) {
      input.focus();
      event.preventDefault();
    }
  });
}

// ------------------------------------------------------------------------------------------------ results

function showError(error) {
  const box = $("#error");
  const coded = error instanceof ApiError && error.code;
  box.textContent = coded ? `${error.message} (${error.code})` : String(error.message || error);
  box.hidden = false;
}

function setState(state, message = "") {
  document.body.dataset.state = state;
  $("#status").textContent = message;
}

async function run() {
  const mine = ++revision;
  $("#error").hidden = true;
  if (!current.answerable) {
    $("#result").hidden = true;
    setState("empty", current.findings.length ? "Mark at least one finding present or absent." : "");
    $("#disclaimer").dataset.source = "page";
    return;
  }
  setState("loading", "Assessing…");
  try {
    const diagnosis = await diagnose(current.findings, current.patient);
    if (mine !== revision) return;
    learnLabels(diagnosis);
    renderDiagnosis(diagnosis);
    document.body.dataset.revision = String(mine);
    setState("ready", `${diagnosis.totalCandidates} candidate causes considered.`);
  } catch (error) {
    if (mine !== revision) return;
    $("#result").hidden = true;
    showError(error);
    setState("error");
  }
}

/** Labels of findings that came from a link (only IDs in the URL). */
function learnLabels(diagnosis) {
  let changed = false;
  for (const { finding } of diagnosis.findings) {
    const f = current.get(finding.id);
    if (f && !f.label) {
      f.label = finding.label;
      changed = true;
    }
  }
  if (changed) renderCase();
}

async function fetchMissingLabels() {
  const missing = current.findings.filter((f) => !f.label);
  if (!missing.length) return;
  const fields = missing.map((f, i) => `f${i}: finding(id: ${JSON.stringify(f.id)}) { id label }`).join(" ");
  try {
    const data = await graphql(`{ ${fields} }`);
    missing.forEach((f, i) => {
      if (data[`f${i}`]) f.label = data[`f${i}`].label;
    });
  } catch {
    // an unknown ID: the diagnosis's warnings say so; the row keeps showing the ID
  }
  renderCase();
}

function renderDiagnosis(d) {
  $("#result").hidden = false;
  $("#disclaimer").textContent = d.disclaimer;
  $("#disclaimer").dataset.source = "api";
  renderTriage(d);
  $("#coverage").textContent = d.coverage.note;
  $("#warnings").replaceChildren(...d.warnings.map((w) =>
    element("li", { class: "warning", "data-code": w.code, text: w.message })));
  renderQuestions(d);
  renderCauses(d);
  renderTests(d);
}

function renderTriage(d) {
  const box = $("#triage");
  box.dataset.level = d.triage.level;
  box.className = `triage level-${d.triage.level}`;
  $("#triage-level").textContent = TRIAGE[d.triage.level] || d.triage.level;
  $("#recommendation").textContent = `Recommendation: ${RECOMMENDATION[d.recommendation] || d.recommendation}`;
  $("#recommendation").dataset.recommendation = d.recommendation;
  $("#explanation").textContent = d.explanation;
  $("#triage-reasons").replaceChildren(...d.triage.reasons.map((r) => {
    const findings = r.findings.map((f) => f.label).join(", ");
    return element("li", { class: "reason", "data-level": r.level },
      element("strong", { text: r.label }),
      findings ? element("span", { class: "reason-findings", text: ` (${findings})` }) : null,
      r.rationale ? element("p", { class: "rationale", text: r.rationale }) : null,
      element("p", { class: "reason-source" }, "Source: ", sourceNode(r.source)));
  }));
}

function renderQuestions(d) {
  const list = $("#questions");
  const open = (q) => !current.get(q.finding.id); // answered already, also as unknown: not asked again
  const questions = d.nextQuestions.filter(open).slice(0, MAX_QUESTIONS);
  $("#questions-panel").hidden = questions.length === 0;
  list.replaceChildren(...questions.map((q) => {
    const answer = (status, text) => {
      const button = element("button", { type: "button", class: `answer answer-${status.toLowerCase()}`,
                                          "data-status": status, text,
                                          "aria-label": `${q.finding.label}: ${text.toLowerCase()}` });
      button.addEventListener("click", () => {
        current.set(q.finding.id, status, q.finding.label);
        update();
        $("#triage").focus({ preventScroll: true });
      });
      return button;
    };
    return element("li", { class: q.redFlag ? "question red-flag" : "question", "data-id": q.finding.id },
      element("div", { class: "question-text" },
        element("strong", { text: q.finding.label }),
        q.redFlag ? element("span", { class: "badge", text: "red flag" }) : null,
        q.step ? element("span", { class: "question-step", text: ` by ${q.step.label}` }) : null,
        element("p", { class: "rationale", text: q.rationale })),
      element("div", { class: "answers", role: "group", "aria-label": `Answer: ${q.finding.label}` },
        answer("PRESENT", "Yes"), answer("ABSENT", "No"), answer("UNKNOWN", "Unknown")));
  }));
}

function lrBar(e, kind) {
  // log scale: LR 1 = empty, LR 100 (or 1/100) = the full width
  const width = Math.min(Math.abs(Math.log10(Math.max(e.likelihoodRatio, 1e-9))) / 2, 1);
  const bar = element("span", { class: `bar bar-${kind}`, role: "img",
                                "aria-label": `likelihood ratio ${ratio(e.likelihoodRatio)}` });
  const fill = element("span", { class: "fill" });
  fill.style.width = `${(width * 100).toFixed(1)}%`;
  bar.append(fill);
  return bar;
}

function evidenceDetail(e) {
  const known = (value) => value !== null && value !== undefined;
  const via = e.matchedFinding && e.matchedFinding.id !== e.finding.id ? `via ${e.matchedFinding.label}` : null;
  const frequency = known(e.frequency) ? `frequency ${percent(e.frequency)}` : null;
  return [frequency, e.relation !== "exact" ? e.relation : null, via].filter(Boolean).join(", ");
}

function evidenceList(items, kind) {
  return element("ul", { class: `evidence evidence-${kind}` }, ...items.map((e) =>
    element("li", { class: "evidence-item", "data-id": e.finding.id },
      element("span", { class: "evidence-finding", text: `${e.finding.label} (${STATUS_TEXT[e.status]})` }),
      lrBar(e, kind),
      element("span", { class: "lr", text: `LR ${ratio(e.likelihoodRatio)}` }),
      element("span", { class: "evidence-detail", text: evidenceDetail(e) }),
      sourceNode(e.source))));
}

const hint = (text) => element("p", { class: "hint", text });

function renderCauses(d) {
  const list = $("#causes");
  list.replaceChildren(...d.candidates.map((c) => {
    const bar = element("span", { class: "bar bar-probability", role: "img",
                                  "aria-label": `probability ${percent(c.probability)}` });
    const fill = element("span", { class: "fill" });
    fill.style.width = `${Math.max(c.probability * 100, 0.5).toFixed(1)}%`;
    bar.append(fill);
    const details = element("details", { class: "cause-details" },
      element("summary", { text: "Evidence for and against" }),
      element("h4", { text: "For" }),
      c.supporting.length ? evidenceList(c.supporting, "for") : hint("No finding supports it."),
      element("h4", { text: "Against" }),
      c.opposing.length ? evidenceList(c.opposing, "against") : hint("No finding opposes it."),
      hint(`Prior ${percent(c.prior)}${c.priorIsDefault ? " (the model's default for rare diseases)" : ""}.`));
    const category = c.disease.causeCategory && c.disease.causeCategory.toLowerCase().replaceAll("_", " ");
    if (c.rank <= 3) details.open = true;
    return element("li", { class: "cause", "data-id": c.disease.id },
      element("div", { class: "cause-head" },
        element("span", { class: "cause-label", text: c.disease.label }),
        element("code", { text: c.disease.id }),
        category ? element("span", { class: "category", text: category }) : null,
        bar,
        element("span", { class: "probability", text: percent(c.probability) })),
      details);
  }));
  $("#other-causes").textContent = d.patient && d.patient.setting === "RARE_DISEASE"
    ? "Rare-disease setting: probabilities among the catalogued rare diseases (causes outside the catalogue are "
      + "not weighed), the leading one calibrated on published case reports."
    : `Causes this knowledge base does not model: ${percent(d.otherCausesProbability)}.`;
}

function renderTests(d) {
  const list = $("#tests");
  $("#tests-panel").hidden = d.nextSteps.length === 0;
  list.replaceChildren(...d.nextSteps.map((s) =>
    element("li", { class: s.worthCost ? "test worth" : "test", "data-id": s.step.id },
      element("strong", { text: s.step.label }),
      element("span", { class: "kind", text: ` ${s.step.kind.toLowerCase().replaceAll("_", " ")}` }),
      s.worthCost ? element("span", { class: "badge", text: "worth its cost" }) : null,
      element("p", { class: "rationale", text: s.rationale }),
      element("p", { class: "hint", text: `Expected information gain ${s.expectedInformationGain.toFixed(2)} bits` +
                                             ` (${s.gainPerCost.toFixed(2)} per unit of cost).` }))));
}

// ------------------------------------------------------------------------------------------------ start

function setUp() {
  setUpSearch();
  $("#age").addEventListener("change", () => {
    const age = parseFloat($("#age").value);
    current.ageYears = Number.isFinite(age) ? age : null;
    update();
  });
  $("#sex").addEventListener("change", () => {
    current.sex = $("#sex").value;
    update();
  });
  $("#setting").addEventListener("change", () => {
    current.setting = $("#setting").value;
    update();
  });
  $("#clear").addEventListener("click", () => {
    current = new Case();
    update();
    $("#finding-search").focus();
  });
  $("#copy-link").addEventListener("click", async () => {
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      $("#copied").textContent = "Link copied.";
    } catch {
      $("#copied").textContent = `Link: ${url}`;
    }
  });
  renderCase();
  fetchMissingLabels();
  run();
}

setUp();
