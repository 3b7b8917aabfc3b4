"""The incident, source and quote forms, built from declarations of their fields (``base``)."""
