"""Study modes over the course: timed exams, break-fix drills and spaced review (no Textual)."""
