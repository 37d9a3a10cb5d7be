"""Progress marks for the course map; the model lives in the core (`tutor.progress.summary`)."""

from __future__ import annotations

from tutor.progress.summary import CourseProgress, gradable_count

__all__ = ["CourseProgress", "gradable_count"]
