"""incidentlog.store."""
