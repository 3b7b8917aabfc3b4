"""incidentlog.domain."""
