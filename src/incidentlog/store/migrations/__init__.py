"""incidentlog.store.migrations."""
