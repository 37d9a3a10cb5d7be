"""Labs: a learner's workspace applied to a practice cluster, checked, hinted, reset, solved."""
