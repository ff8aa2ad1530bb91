"""Render one frame: deformed landmarks -> backward map -> warped source + mouth interior.

`warp_image` is the warp alone, for callers that keep the real mouth (edit re-renders a
video frame from itself, its own teeth and tongue included)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..analyze import topology as topo
from ..rig.deform import FaceFit
from .control_mesh import ControlMesh, build_control_mesh
from .creases import shade_creases
from .eyes import EyeSource, measure_eyes, paint_eyes
from .mouth import (lip_change, lip_edges, lip_texture_points, mouth_palette, own_teeth_reading,
                    paint_lip_seam, paint_mouth_interior, source_mouth_open)
from .own_teeth import OwnTeeth, measure_own_teeth
from .warp_fast import backward_map

FAR_DEPTH = 1e6
EYE_BEHIND = 1e4   # the eye fans' triangles lose every depth test against the face's


@dataclass(frozen=True)
class RenderSource:
    """Everything about the source image the renderer reuses frame after frame.

    image: RGB uint8 [H, W, 3]; landmarks_px: [478, 3] px; mesh: the control mesh; fit: the
    canonical->image similarity; palette: mouth-interior colours for this face.
    lip_texture: [468, 2] px, for a portrait whose own mouth is open: the face points with the
    lips textured from their real edges (`mouth.lip_texture_points`), used (and the interior
    drawn) as soon as the lips move; None for a closed mouth.
    lines: shade the expression lines the motion folds (`creases`); False renders the warp alone.
    eyes: the source's eyes (`eyes.measure_eyes`), redrawn as rigid eyeballs inside moved lids.
    own_teeth: an open mouth's own upper teeth (`own_teeth.measure_own_teeth`), carried by the
    skull over the painted interior; None for a closed mouth or one that shows no teeth.
    """

    image: np.ndarray
    landmarks_px: np.ndarray
    mesh: ControlMesh
    fit: FaceFit
    palette: dict
    lip_texture: np.ndarray | None = None
    lines: bool = True
    eyes: tuple[EyeSource, ...] = ()
    own_teeth: OwnTeeth | None = None

    @staticmethod
    def create(image: np.ndarray, landmarks_px: np.ndarray, fit: FaceFit, lines: bool = True) -> "RenderSource":
        texture, palette, own_teeth = None, mouth_palette(image, landmarks_px), None
        if source_mouth_open(landmarks_px, fit.down):
            rings = (topo.UPPER_LIP_RINGS, topo.LOWER_LIP_RINGS)
            upper, lower = lip_edges(image, landmarks_px, rings)
            texture = lip_texture_points(landmarks_px, upper, lower, rings)
            teeth, is_tooth = own_teeth_reading(image, landmarks_px)
            if teeth is not None:
                palette = dict(palette, teeth=teeth)
            if is_tooth is not None:
                own_teeth = measure_own_teeth(image, upper, lower, is_tooth)
        return RenderSource(image, landmarks_px, build_control_mesh(landmarks_px, image.shape[:2]),
                            fit, palette, texture, bool(lines), measure_eyes(image, landmarks_px), own_teeth)


LIP_POINTS = tuple(sorted(set(topo.LIPS_UPPER_INNER + topo.LIPS_LOWER_INNER + topo.LIPS_UPPER_OUTER
                              + topo.LIPS_LOWER_OUTER)))

def triangle_depth(mesh: ControlMesh, landmarks_dst: np.ndarray) -> np.ndarray:
    """[M] depth per triangle: mean z of face triangles (smaller = nearer), the eyes' fans behind
    the rest of the face; rings far behind, inner rings in front of outer ones."""
    depth = FAR_DEPTH + np.arange(len(mesh.triangles), dtype=np.float32)
    depth[: mesh.n_face] = landmarks_dst[mesh.depth_landmarks, 2].mean(1) + EYE_BEHIND * mesh.behind
    return depth


def warp_image(image: np.ndarray, mesh: ControlMesh, landmarks_dst: np.ndarray,
               points_src: np.ndarray | None = None) -> np.ndarray:
    """The mesh-guided backward warp alone: image (RGB uint8 [H, W, 3], the mesh's source)
    -> RGB uint8 [H, W, 3] with its landmarks moved to landmarks_dst ([478, 3] px).
    points_src: optional [N, 2] px to sample from instead of mesh.points_src (textured lips)."""
    dst = mesh.points_dst(landmarks_dst)
    src = mesh.points_src if points_src is None else points_src
    map_x, map_y = backward_map(dst, src, mesh.triangles, triangle_depth(mesh, landmarks_dst), image.shape[:2])
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def render_frame(source: RenderSource, landmarks_dst: np.ndarray) -> np.ndarray:
    """landmarks_dst: [478, 3] px deformed landmarks -> RGB uint8 [H, W, 3] frame."""
    if not np.all(np.isfinite(landmarks_dst)):   # a rig bug must not hang the rasteriser
        raise ValueError("render_frame got non-finite landmarks")
    h, w = source.image.shape[:2]
    reach = 4.0 * max(h, w)
    landmarks_dst = np.clip(landmarks_dst, -reach, reach)
    mesh = source.mesh
    points_src, open_source = mesh.points_src, 0.0
    if source.lip_texture is not None:
        open_source = lip_change(source.landmarks_px, landmarks_dst, LIP_POINTS)
        if open_source > 0.0:
            points_src = points_src.copy()
            points_src[: topo.N_MESH] += open_source * (source.lip_texture - points_src[: topo.N_MESH])
    frame = warp_image(source.image, mesh, landmarks_dst, points_src)
    paint_eyes(frame, source.image, source.eyes, source.landmarks_px, landmarks_dst)
    if source.lines:
        shade_creases(frame, source.landmarks_px, landmarks_dst, source.fit.down, source.fit.scale)
    paint_mouth_interior(frame, source.palette, source.landmarks_px, landmarks_dst, source.fit.down,
                         open_source, source.lip_texture, source.own_teeth)
    if open_source > 0.0:
        paint_lip_seam(frame, source.palette, landmarks_dst, source.fit.down, open_source)
    return frame
