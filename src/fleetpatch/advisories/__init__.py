"""advisories."""
