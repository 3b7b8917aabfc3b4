"""incidentlog.store.migrations.versions."""
