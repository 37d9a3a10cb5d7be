"""Practice clusters: the `Cluster` protocol and its backends (simulator, kind, context)."""
