"""Patient context: the patient's age and sex, checked once, and whether a rule's age band and sex fit them.

The context is optional. A rule with an age band or a sex applies only when the patient's age (or sex) is given and
fits: without an age, "fever in an infant younger than 3 months" cannot fire, so a frontend that asks for the age
gets the safer answer (README, "Triage"). Bands are half-open, [minAgeYears, maxAgeYears), so adjacent bands do not
overlap."""

from __future__ import annotations

import math

from dxkb.kb.engine.types import Patient, Sex
from dxkb.kb.errors import InputError

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
    if age is None and sex is None:
        return None
    return Patient(age_years=age, sex=sex)


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
    return ", ".join(parts)
