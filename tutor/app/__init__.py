"""The Textual app: screens, widgets and styles over the UI-free core."""
