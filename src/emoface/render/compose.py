"""Render one frame: deformed landmarks -> backward map -> warped source + mouth interior."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..rig.deform import FaceFit
from .control_mesh import ControlMesh, build_control_mesh
from .mouth import mouth_palette, paint_mouth_interior
from .warp_fast import backward_map

FAR_DEPTH = 1e6
N_FACE_TRIANGLES = 898  # the canonical mesh's triangles come first in the control mesh


@dataclass(frozen=True)
class RenderSource:
    """Everything about the source image the renderer reuses frame after frame.

    image: RGB uint8 [H, W, 3]; landmarks_px: [478, 3] px; mesh: the control mesh; fit: the
    canonical->image similarity; palette: mouth-interior colours for this face.
    """

    image: np.ndarray
    landmarks_px: np.ndarray
    mesh: ControlMesh
    fit: FaceFit
    palette: dict

    @staticmethod
    def create(image: np.ndarray, landmarks_px: np.ndarray, fit: FaceFit) -> "RenderSource":
        return RenderSource(image, landmarks_px, build_control_mesh(landmarks_px, image.shape[:2]),
                            fit, mouth_palette(image, landmarks_px))



def triangle_depth(mesh: ControlMesh, landmarks_dst: np.ndarray) -> np.ndarray:
    """[M] depth per triangle: mean z of face triangles (smaller = nearer); rings far behind,
    inner rings in front of outer ones."""
    n_face = N_FACE_TRIANGLES
    depth = FAR_DEPTH + np.arange(len(mesh.triangles), dtype=np.float32)
    depth[:n_face] = landmarks_dst[mesh.triangles[:n_face], 2].mean(1)
    return depth


def render_frame(source: RenderSource, landmarks_dst: np.ndarray) -> np.ndarray:
    """landmarks_dst: [478, 3] px deformed landmarks -> RGB uint8 [H, W, 3] frame."""
    mesh = source.mesh
    dst = mesh.points_dst(landmarks_dst)
    depth = triangle_depth(mesh, landmarks_dst)
    map_x, map_y = backward_map(dst, mesh.points_src, mesh.triangles, depth, source.image.shape[:2])
    frame = cv2.remap(source.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    paint_mouth_interior(frame, source.palette, source.landmarks_px, landmarks_dst, source.fit.down)
    return frame
