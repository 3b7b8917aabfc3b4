"""incidentlog: log security incidents reported in open sources."""

__version__ = "0.1.0"
