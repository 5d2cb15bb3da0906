"""The numbers of the diagnostic model that are not data. Each is documented in the README ("The model")."""

#: P(finding | disease) for a finding the disease is not annotated with (nor through the hierarchy).
#: Small but not zero: people have unrelated complaints. An annotation never makes a finding less likely than
#: this (annotated likelihoods are clamped up to it), so adding an unannotated finding never raises a disease.
BACKGROUND_RATE = 0.02

#: P(finding | disease) when the disease carries a NOT annotation for it: annotations can be wrong.
NEGATED_RATE = 0.005

#: Cap on P(finding | disease), so that an ABSENT finding never excludes a disease outright (reporting errors).
MAX_LIKELIHOOD = 0.99

#: Prior for a disease without a dxkb:Prior (e.g. the rare diseases of the HPO annotations): a rare disease is
#: one with a prevalence below 1 in 2,000 and most are far rarer; among people presenting with a new complaint
#: one in a million is generous and keeps thousands of rare diseases from drowning the curated common causes.
DEFAULT_PRIOR = 1e-6

#: A diagnostic test (laboratory test, biopsy) is worth its cost when its expected information gain per unit of
#: cost reaches this many bits.
MIN_GAIN_PER_COST = 0.01

#: Expected information gain is computed over at most this many leading candidates (the rest hold negligible mass).
EIG_CANDIDATES = 200

#: Steps revealing more unknown findings than this are scored as independent single-finding tests (2^n outcomes).
MAX_JOINT_FINDINGS = 10

#: A feature a disease has (a positive annotation) that the patient's findings do not mention is weak evidence of
#: its absence: a clinician notices and reports it with probability UNREPORTED_RATE x P(f|D), so each such feature
#: multiplies the disease's score by 1 - UNREPORTED_RATE x P(f|D). Without it a disease with 100 features explains
#: five findings as well as one with exactly those five. 0.3 chosen on simulated patients of another seed
#: (0.1-0.5 ranked nearly alike; bench/accuracy). Explicitly ABSENT findings keep their own 1 - P(f|D).
UNREPORTED_RATE = 0.3
