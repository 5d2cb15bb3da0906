"""The source document's cases as IDs, shared by the engine, backend and GraphQL tests (and the benchmarks)."""

RASH = "HP:0000988"
RED_FLAGS = ["HP:0012378", "HP:0001824", "HP:0002719"]  # fatigue, weight loss, recurrent infections
SUSPICIOUS_CBC = "DXKB:0000102"  # ABSENT = a normal blood count
LEUKEMIA = "MONDO:0005059"
BLOOD_COUNT = "DXKB:0000203"
MARROW_BIOPSY = "DXKB:0000204"
COMMON_CAUSES = {"DXKB:0000001", "DXKB:0000002", "DXKB:0000003", "DXKB:0000004"}

#: name -> (present, absent)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "rash alone": ([RASH], []),
    "red flags": ([RASH, *RED_FLAGS], []),
    "suspicious blood count": ([RASH, *RED_FLAGS, SUSPICIOUS_CBC], []),
    "normal blood count": ([RASH, *RED_FLAGS], [SUSPICIOUS_CBC]),
    "red flags absent": ([RASH], RED_FLAGS),
}
