"""rig: AU intensities, mouth controls, eyelids and head pose -> displaced face mesh (px)."""
