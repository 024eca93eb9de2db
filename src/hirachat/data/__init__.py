"""Data stage: HIRA downloads (CSV/XLSX) → normalised tables → the facts store."""
