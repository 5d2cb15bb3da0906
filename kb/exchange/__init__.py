"""The standard formats that clinical and rare-disease tools exchange, in and out of the diagnosis.

- :mod:`dxkb.kb.exchange.phenopacket`: a GA4GH Phenopacket v2 (JSON) as findings and patient context, and a
  diagnosis as phenopacket Interpretations (GA4GH's protobuf bindings, the ``phenopackets`` package).
- :mod:`dxkb.kb.exchange.fhir`: a FHIR R4 Bundle of Observations and Conditions as findings: LOINC results through
  loinc2hpo, HPO codes directly, SNOMED CT codes through the knowledge base's xrefs (``fhir.resources``).
- :mod:`dxkb.kb.exchange.statuses`: the one rule for a finding a document names more than once (both use it).

One layer above the engine (it builds the engine's input types) and below the service, which is what the doors
call (``KnowledgeBase.diagnose_phenopacket``, ``diagnose_fhir``, ``phenopacket_json``).
"""
