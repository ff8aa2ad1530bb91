"""analyze: image -> FaceAnalysis (landmarks [478, 3] px, 52 blendshapes, head pose) and AU readings."""
