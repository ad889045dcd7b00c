"""Versions of a data product over time: from git today, from the registry once deployments are recorded."""
