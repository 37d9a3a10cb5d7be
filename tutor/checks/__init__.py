"""Check engine: check specs from lab.yaml -> verdicts, with diagnosers that say why."""
