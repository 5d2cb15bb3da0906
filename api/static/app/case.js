// The case being worked up: findings with their status, and the patient; kept in the page's URL so that a link
// reopens the same case (?present=HP:0000988&absent=HP:0012378&unknown=...&age=40&sex=FEMALE&setting=RARE_DISEASE).

export const STATUSES = ["PRESENT", "ABSENT", "UNKNOWN"];
const PARAMETER = { PRESENT: "present", ABSENT: "absent", UNKNOWN: "unknown" };
const SEXES = new Set(["FEMALE", "MALE", "OTHER"]);
const SETTINGS = new Set(["RARE_DISEASE"]); // PRIMARY_CARE is the default: not written into the link

export class Case {
  constructor() {
    this.findings = []; // [{id, label, status}] in the order they were added
    this.ageYears = null;
    this.sex = "";
    this.setting = "";
  }

  static fromSearch(search) {
    const params = new URLSearchParams(search);
    const c = new Case();
    for (const status of STATUSES) {
      for (const value of params.getAll(PARAMETER[status])) {
        for (const id of value.split(",").map((s) => s.trim()).filter(Boolean)) c.set(id, status);
      }
    }
    const age = parseFloat(params.get("age"));
    c.ageYears = Number.isFinite(age) ? age : null;
    const sex = (params.get("sex") || "").toUpperCase();
    c.sex = SEXES.has(sex) ? sex : "";
    const setting = (params.get("setting") || "").toUpperCase();
    c.setting = SETTINGS.has(setting) ? setting : "";
    return c;
  }

  toSearch() {
    const params = new URLSearchParams();
    for (const f of this.findings) params.append(PARAMETER[f.status], f.id);
    if (this.ageYears !== null) params.set("age", String(this.ageYears));
    if (this.sex) params.set("sex", this.sex);
    if (this.setting) params.set("setting", this.setting);
    const text = params.toString().replaceAll("%3A", ":");
    return text ? `?${text}` : "";
  }

  get(id) {
    return this.findings.find((f) => f.id === id);
  }

  set(id, status, label) {
    const found = this.get(id);
    if (found) {
      found.status = status;
      if (label) found.label = label;
    } else {
      this.findings.push({ id, status, label: label || null });
    }
  }

  remove(id) {
    this.findings = this.findings.filter((f) => f.id !== id);
  }

  /** Whether diagnose can run: it needs at least one PRESENT or ABSENT finding. */
  get answerable() {
    return this.findings.some((f) => f.status !== "UNKNOWN");
  }

  get patient() {
    return { ageYears: this.ageYears, sex: this.sex, setting: this.setting };
  }
}
