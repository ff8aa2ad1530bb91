"""motion: non-verbal motion (head pose, blinks, gaze) and the per-frame performance."""
