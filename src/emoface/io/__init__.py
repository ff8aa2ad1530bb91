"""io: files at the package's edge: still images, speech audio and talking-head videos.

Writers are atomic (`atomic_output`): a failed or interrupted run leaves no half-written file.
"""
from .audio import MAX_AUDIO_S, extract_audio, is_silent, load_audio, rms_dbfs, save_wav
from .images import (
    IMAGE_FORMATS,
    MAX_PIXELS,
    atomic_output,
    check_output_path,
    image_format,
    load_image,
    save_image,
)
from .video import VIDEO_FORMATS, X264_PRESETS, VideoInfo, VideoWriter, read_video, video_info

__all__ = [
    "IMAGE_FORMATS", "MAX_PIXELS", "atomic_output", "check_output_path", "image_format",
    "load_image", "save_image",
    "MAX_AUDIO_S", "extract_audio", "is_silent", "load_audio", "rms_dbfs", "save_wav",
    "VIDEO_FORMATS", "X264_PRESETS", "VideoInfo", "VideoWriter", "read_video", "video_info",
]
