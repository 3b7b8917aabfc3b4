"""What the main window's actions do when they take more than one call: each workflow one class.

``delete`` asks before moving records to the trash, ``status`` steps incidents through
the review workflow, ``backups`` makes, restores and configures backups. Each holds the
window it acts for and reaches the open log through it, so a workflow follows the window
when another database is opened.
"""
