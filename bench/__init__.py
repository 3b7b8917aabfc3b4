"""Benchmarks of incidentlog and the generator of realistic logs they run on."""
