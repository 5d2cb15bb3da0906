"""The numbers of the diagnostic model that are not data. Each is documented in the README ("The model")."""

#: P(finding | disease) for a finding the disease is not annotated with (nor through the hierarchy), at most: small
#: but not zero, since people have unrelated complaints and annotations are incomplete. Each finding's own rate is
#: its disease share (dxkb:diseaseShare: how common it is among all annotated diseases, written by dxkb build)
#: kept within [MIN_BACKGROUND_RATE, BACKGROUND_RATE] (scoring.background_rate): a feature that many diseases have
#: ("Seizure", "Intellectual disability") is often present for another reason or simply not annotated, a rare and
#: specific one ("Ectopia lentis") hardly ever, so matching it weighs more and missing it costs more - the
#: frequency-aware noise of LIRICAL (Robinson et al., AJHG 2020, P(h | arbitrary Mendelian disease)). An
#: annotation never makes a finding less likely than its rate (annotated likelihoods are clamped up to it), so
#: adding an unannotated finding never raises a disease. 0.02 (the single rate of the earlier model) is the cap.
BACKGROUND_RATE = 0.02

#: The floor of a finding's background rate: one in a thousand patients of a disease shows a finding that almost no
#: annotated disease has, for an unrelated reason or through a gap in the annotations. Curator's estimate; on the
#: development cases of phenopacket-store (bench/real_cases) floors of 0.0002 and 0.001 ranked alike.
MIN_BACKGROUND_RATE = 0.001

#: P(finding | disease) when the disease carries a NOT annotation for it, for a finding at the cap of the background
#: rates (BACKGROUND_RATE): annotations can be wrong. Scaled with the finding's own background rate (a quarter of
#: it), so a NOT annotation always makes a finding less likely than no annotation does.
NEGATED_RATE = 0.005

#: A patient's finding *more specific* than a disease's annotation counts with the annotation's frequency times the
#: finding's share of the annotated term's hierarchy to this power (scoring.match_weight). Share = 1/(descendants +
#: 1) ratio: the chance the disease's "something under it" is this very finding if all of them were equally likely.
#: They are not: curators annotate the specific term when the publications name it, so a disease annotated only
#: broadly has the specific finding less often than its uniform share. 2: chosen among 0.5 / 0.75 / 1 / 1.5 / 2 /
#: 2.5 / 3 on the 711 development cases of phenopacket-store whose publication is a source of their disease's
#: annotations (MRR 0.869 / 0.877 / 0.880 / 0.885 / 0.885 / 0.883 / 0.882; top-10 0.913 / 0.930 / 0.934 / 0.935 /
#: 0.938 / 0.941 / 0.940), never on the independent ones, which judge it (README "Real patients").
BROADER_MATCH_POWER = 2.0

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

#: How often a clinician who looked for a feature the patient has would have seen (and recorded) it. An explicitly
#: ABSENT finding then has P(absent | D) = 1 - ABSENT_SENSITIVITY x P(f|D) rather than 1 - P(f|D): it is weak
#: evidence, not a veto. With 1.0 (the old model), one excluded feature annotated 1/1 multiplied the true disease
#: by 0.01, and on 1,000 published cases adding their excluded features made the ranking worse (bench/real_cases).
#: 0.5: a curator's estimate (inter-observer agreement on dysmorphic and clinical signs is moderate, kappa about
#: 0.4-0.7), chosen among 0.3 / 0.5 / 0.8 (with the ratio below 1 or 2) on 300 development cases of
#: phenopacket-store (bench/real_cases; README "Real patients"), never on the independent cases.
#: Findings of the curated work-up indicated for the presentation (yields of steps whose preconditions hold,
#: nextsteps.workup_questions) keep 1 - P(f|D): their steps state their own sensitivity.
ABSENT_SENSITIVITY = 0.5

#: P(a finding is looked for and stated | the disease has it) / P(the same | it has not): excluded findings are not
#: a random sample of all findings. Clinicians (and case reports) state the absence of features of the diseases in
#: question, so naming a feature as absent is itself a hint towards the diseases that have it. 2: a round
#: curator's estimate (with 1.0, i.e. no selection, adding the excluded features of 300 development cases made 51
#: ranks worse and 10 better; with 2.0, 12 worse and 61 better). Not applied to the work-up's own findings, which
#: every patient of the presentation is asked about.
EXCLUDED_ASKED_RATIO = 2.0

#: Temperature of the likelihood: probability(D) ∝ prior(D) x likelihood(D)^(1/TEMPERATURE). Findings are
#: correlated (a syndrome's features come together) while the model multiplies them as if independent, which makes
#: the likelihoods too sharp; one temperature > 1 undoes most of that. 1.0 = no tempering.
TEMPERATURE = 1.0
