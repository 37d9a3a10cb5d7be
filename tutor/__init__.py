"""kube-tutor: learn how Kubernetes routes traffic, in the terminal."""

__version__ = "0.1.0"
