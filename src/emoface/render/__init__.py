"""render: deformed mesh -> frame (mesh-guided backward warp of the source + mouth interior)."""
