"""Opening existing labels, the review workflow and the confidence threshold in the window."""

from app.gui.review.link import ReviewLink

__all__ = ["ReviewLink"]
