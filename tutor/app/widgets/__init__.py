"""Widgets: each shows one thing and posts past-tense messages; screens decide what happens."""
