"""export: what was animated, in formats other tools read (blendshape / AU / pose curves)."""
