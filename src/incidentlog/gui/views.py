"""The tabs of the main window, by index (shared by the window and its workspace)."""

INCIDENTS, SOURCES, QUOTES, TIMELINE = 0, 1, 2, 3
