"""Classification: rules files, the pure engine, lyrics look-ups and clinician overrides."""
