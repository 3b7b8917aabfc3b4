"""incidentlog.gui."""
