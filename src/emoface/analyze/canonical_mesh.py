"""MediaPipe's canonical face mesh (468 vertices, 898 triangles), read from the landmarker bundle.

The mesh lives in `geometry_pipeline_metadata_landmarks.binarypb`, a protobuf message
(`GeometryPipelineMetadata`) whose schema is not shipped in Python. We read just the two repeated
fields we need with a minimal protobuf wire-format reader.

Convention: canonical space is in cm, x towards the subject's left, y up, z towards the viewer;
the face is about 15.5 cm wide and centred near the origin.
"""
from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

import numpy as np

from .model_files import face_landmarker_member


@dataclass(frozen=True)
class CanonicalMesh:
    """vertices: [468, 3] float32 cm; uv: [468, 2] float32; triangles: [898, 3] int32."""

    vertices: np.ndarray
    uv: np.ndarray
    triangles: np.ndarray


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes):
    """Yield (field_number, value) for one protobuf message (varint, fixed32 float, bytes)."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 5:
            value, i = struct.unpack_from("<f", buf, i)[0], i + 4
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


@functools.lru_cache(maxsize=1)
def canonical_mesh() -> CanonicalMesh:
    """Parse GeometryPipelineMetadata.canonical_mesh (field 1): vertex_buffer=3, index_buffer=4."""
    meta = face_landmarker_member("geometry_pipeline_metadata_landmarks.binarypb")
    mesh_bytes = next(v for n, v in _fields(meta) if n == 1)
    floats, indices = [], []
    for number, value in _fields(mesh_bytes):
        if number == 3:
            floats.append(value)
        elif number == 4:
            indices.append(value)
    buffer = np.asarray(floats, np.float32).reshape(-1, 5)  # x, y, z, u, v per vertex
    triangles = np.asarray(indices, np.int32).reshape(-1, 3)
    return CanonicalMesh(vertices=buffer[:, :3].copy(), uv=buffer[:, 3:].copy(), triangles=triangles)
