"""incidentlog.exchange."""
