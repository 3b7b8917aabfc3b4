"""Data files of incidentlog (schema, demo data, vocabularies, icons).

A package only so that importlib.resources finds it in a source checkout, an
installed wheel and a PyInstaller build alike; it holds no code.
"""
