"""Screens: each owns its handlers and calls the core; widgets only show and report."""
