"""drive: audio / text -> timed phonemes -> visemes -> mouth controls per frame (DESIGN.md)."""
