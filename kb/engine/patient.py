"""Patient context: the patient's age, sex and care setting, checked once, and whether a rule's age band and sex
fit them.

The context is optional. A rule with an age band or a sex applies only when the patient's age (or sex) is given and
fits: without an age, "fever in an infant younger than 3 months" cannot fire, so a frontend that asks for the age
gets the safer answer (README, "Safety"). Bands are half-open, [minAgeYears, maxAgeYears), so adjacent bands do not
overlap.

With an age, the HPO onset annotations of a disease's features (``dxkb:onset`` on its associations) down-weight a
disease whose every annotated onset begins after the patient's age (:func:`onset_log_factor`)."""

from __future__ import annotations

import math
import threading
from typing import Iterable, Sequence

from dxkb.kb.engine.types import Patient, Setting, Sex
from dxkb.kb.errors import InputError
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import to_curie

#: Oldest accepted age: the oldest documented human lived 122 years; beyond this an age is a typing error.
MAX_AGE_YEARS = 130.0


def check(patient: Patient | None) -> Patient | None:
    """The patient context, validated (InputError naming the bad field), or None when nothing is known."""
    if patient is None:
        return None
    age = patient.age_years
    if age is not None:
        if isinstance(age, bool) or not isinstance(age, (int, float)) or not math.isfinite(age):
            raise InputError(f"patient.ageYears must be a number of years, got {age!r}")
        if not 0 <= age <= MAX_AGE_YEARS:
            raise InputError(f"patient.ageYears must be between 0 and {MAX_AGE_YEARS:g}, got {age:g}")
        age = float(age)
    sex = patient.sex
    if sex is not None and not isinstance(sex, Sex):
        try:
            sex = Sex(str(sex).upper())
        except ValueError:
            raise InputError(f"patient.sex must be one of {', '.join(s.value for s in Sex)}, got {sex!r}") from None
    if sex is Sex.UNKNOWN:
        sex = None  # the same as not given
    setting = patient.setting
    if setting is not None and not isinstance(setting, Setting):
        try:
            setting = Setting(str(setting).upper())
        except ValueError:
            raise InputError(f"patient.setting must be one of {', '.join(s.value for s in Setting)}, "
                             f"got {setting!r}") from None
    if setting is Setting.PRIMARY_CARE:
        setting = None  # the default
    if age is None and sex is None and setting is None:
        return None
    return Patient(age_years=age, sex=sex, setting=setting)


def rare_disease(patient: Patient | None) -> bool:
    """Whether the patient is seen for a suspected rare disease (Setting.RARE_DISEASE)."""
    return patient is not None and patient.setting is Setting.RARE_DISEASE


def fits(patient: Patient | None, min_age: float | None, max_age: float | None, sex: str | None) -> bool:
    """Whether a rule's context (age band [min_age, max_age), sex) fits the patient; a rule without context fits all."""
    if min_age is not None or max_age is not None:
        if patient is None or patient.age_years is None:
            return False
        if min_age is not None and patient.age_years < min_age:
            return False
        if max_age is not None and patient.age_years >= max_age:
            return False
    if sex is not None:
        if patient is None or patient.sex is None or patient.sex.value != sex:
            return False
    return True


def describe(patient: Patient | None) -> str:
    """A short text of the context for explanations, e.g. 'age 0.1 years, female'."""
    if patient is None:
        return ""
    parts = []
    if patient.age_years is not None:
        parts.append(f"age {patient.age_years:g} years")
    if patient.sex is not None:
        parts.append(patient.sex.value.lower())
    if patient.setting is Setting.RARE_DISEASE:
        parts.append("seen for a suspected rare disease")
    return ", ".join(parts)


# ---------------------------------------------------------------- onset (HPO onset annotations)
#: The youngest age (years) at which each HPO onset term begins, from the HPO definitions of the terms (release
#: 2025-01-16): e.g. HP:0003581 "Adult onset ... at the age of 16 years or later". Terms that start at or before birth
#: (antenatal, congenital, neonatal, pediatric) are left out: they fit every age.
ONSET_FROM_YEARS: dict[str, float] = {
    "HP:0003593": 28 / 365.25,  # Infantile onset: 28 days to one year
    "HP:0011463": 1.0,  # Childhood onset: 1 to 5 years
    "HP:0003621": 5.0,  # Juvenile onset: 5 to 15 years
    "HP:0003581": 16.0,  # Adult onset: 16 years or later
    "HP:0011462": 16.0,  # Young adult onset: 16 to 40 years
    "HP:0025708": 16.0,  # Early young adult onset: 16 to under 19
    "HP:0025709": 19.0,  # Intermediate young adult onset: 19 to under 25
    "HP:0025710": 25.0,  # Late young adult onset: 25 to under 40
    "HP:0003596": 40.0,  # Middle age onset: 40 to 60 years
    "HP:0003584": 60.0,  # Late onset: after 60 years
}

#: How much a disease's score is multiplied by when every onset its annotations give starts after the patient's age
#: (the disease has not usually begun yet). Not zero: onsets vary and annotations of a few features do not fix the
#: onset of the whole disease. Curator's estimate (0.1 = a likelihood ratio of 10 against).
ONSET_MISMATCH = 0.1


def onset_log_factor(onsets: Iterable[str], patient: Patient | None) -> float:
    """ln of the onset factor for one disease: ln(ONSET_MISMATCH) when the patient's age is given, the disease has
    onset annotations, and all of them begin after that age; 0 otherwise (no age, no onset, or one that fits)."""
    if patient is None or patient.age_years is None:
        return 0.0
    given = list(onsets)
    if not given:
        return 0.0
    starts = [ONSET_FROM_YEARS.get(o, 0.0) for o in given]  # unknown or at-birth terms fit every age
    return math.log(ONSET_MISMATCH) if min(starts) > patient.age_years else 0.0


class Onsets:
    """Disease IRI -> the HPO onset terms (CURIEs) of its associations, loaded once (queries/disease_onsets.rq)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._by_disease: dict[str, tuple[str, ...]] | None = None

    @property
    def by_disease(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            if self._by_disease is None:
                found: dict[str, set[str]] = {}
                for row in sparql.select(self.store, "disease_onsets"):
                    found.setdefault(row["disease"], set()).add(to_curie(row["onset"]))
                self._by_disease = {d: tuple(sorted(o)) for d, o in found.items()}
            return self._by_disease

    def log_factors(self, diseases: Sequence[str], patient: Patient | None) -> list[float]:
        """The onset term of each disease (0.0 without an age: nothing is loaded then)."""
        if patient is None or patient.age_years is None:
            return [0.0] * len(diseases)
        by_disease = self.by_disease
        return [onset_log_factor(by_disease.get(d, ()), patient) for d in diseases]
