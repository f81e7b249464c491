"""Label documents without Qt: existing label maps beside a folder, review state, and the
confidence threshold that turns uncertain pixels into ignore."""
