"""The simulator served as a Kubernetes API on loopback (HTTP server, discovery, tables, patch, exec)."""
