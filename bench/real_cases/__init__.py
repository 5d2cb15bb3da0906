"""Real-case accuracy benchmark on GA4GH phenopackets (published case reports); run with bench/real_cases/run.py."""
